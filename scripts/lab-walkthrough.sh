#!/usr/bin/env bash
# Lab 4 of container-labs ("CodeDeploy Blue/Green deployments") end to end with the AWS CLI,
# against the endpoint in AWS_ENDPOINT_URL (a cutover emulator: `cutover serve --clock scaled:60`,
# or the `cutover` service of docker-compose.yml). docs/lab-walkthrough.md explains every step.
#
#   AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
#   AWS_DEFAULT_REGION=us-east-1 bash scripts/lab-walkthrough.sh
#
# 1. What Labs 1-3 leave behind: a VPC with two subnets, a security group, the ALB
#    alb-container-labs with its port-80 listener (the lab's CloudFormation core setup), the
#    cluster my_first_ecs_cluster, and the services users, threads and posts (ECS controller), each
#    behind its target group and an /api/<svc>* rule.
# 2. Lab 4 steps 1-9 with the lab's own commands: the CodeDeploy role, threads scaled to 0 and
#    deleted, recreated with the CODE_DEPLOY controller, threads-tg-2 and the port-8080 test
#    listener, threadsApp/threadsDG, the BeforeAllowTraffic hook (a Lambda function that GETs
#    /api/threads through the test listener), and `aws ecs deploy` of the threads image tag 0.1.
# 3. Checks: the deployment Succeeded, the /api/threads* rule forwards 100% to threads-tg-2, and
#    requests through the ALB reach the new task definition.
#
# Needs bash, the AWS CLI (v1 or v2), python3 and curl. Run it against a fresh emulator (POST
# /_emulator/reset first when reusing one): the names it creates are fixed, as in the lab. The
# emulator's clock must move by itself (real or scaled:N; with manual the script stops at once
# and says so). Every wait polls with a limit of WALKTHROUGH_WAIT seconds of wall time (default
# 900). WALKTHROUGH_DIR keeps the JSON files the lab asks for (default: a temporary directory).
# Exit status 0 only if every step and check passed.
set -euo pipefail

: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the emulator, e.g. http://127.0.0.1:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_DEFAULT_OUTPUT=json AWS_PAGER=""
REGION="$AWS_DEFAULT_REGION"
ENDPOINT="${AWS_ENDPOINT_URL%/}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HOOK_SOURCE="$HERE/lab-walkthrough/pre-traffic-hook.js"
WAIT_LIMIT="${WALKTHROUGH_WAIT:-900}"
POLL="${WALKTHROUGH_POLL:-1}"
CLUSTER=my_first_ecs_cluster
SERVICES=(users threads posts)
declare -A PRIORITY=([users]=1 [threads]=2 [posts]=3)
WORK="${WALKTHROUGH_DIR:-$(mktemp -d -t lab-walkthrough.XXXXXX)}"
mkdir -p "$WORK"
cd "$WORK"

step() { printf '\n==> [%3ds] %s\n' "$SECONDS" "$*"; }
say() { printf '    %s\n' "$*"; }
die() {
  printf 'lab-walkthrough: %s\n' "$*" >&2
  exit 1
}
# json EXPR: evaluates a Python expression on the JSON document read from stdin (bound to `d`).
json() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# wait_for WHAT WANT AWS-ARGS...: runs `aws AWS-ARGS... --output text` until it prints WANT.
wait_for() {
  local what=$1 want=$2 start=$SECONDS got
  shift 2
  while :; do
    got="$(aws "$@" --output text)"
    if [[ $got == "$want" ]]; then
      say "$what: $got (after $((SECONDS - start))s)"
      return 0
    fi
    ((SECONDS - start < WAIT_LIMIT)) || die "gave up waiting for $what after ${WAIT_LIMIT}s (last answer: $got)"
    sleep "$POLL"
  done
}

# The emulator's own clock, when the endpoint is cutover: a manual clock would never move.
clock="$(curl -fsS "$ENDPOINT/_emulator/clock" 2>/dev/null || true)"
if [[ -n $clock ]]; then
  mode="$(json 'd["mode"]' <<<"$clock")"
  [[ $mode != manual ]] || die "the emulator's clock is manual and would never move on its own: run
  curl -X POST $ENDPOINT/_emulator/clock -H 'content-type: application/json' -d '{\"mode\": \"scaled\", \"scale\": 60}'
or start it with --clock scaled:60"
  say "cutover at $ENDPOINT, clock $(json 'd["mode"] + (":%g" % d["scale"] if d["mode"] == "scaled" else "")' <<<"$clock")"
fi

step "Who am I"
ACCOUNT="$(aws sts get-caller-identity --query Account --output text)"
say "account $ACCOUNT, region $REGION, files in $WORK"

# ------------------------------------------------------------------------------------------------
# Labs 1-3: the topology Lab 4 starts from
# ------------------------------------------------------------------------------------------------

step "Core setup (the lab's CloudFormation stack): VPC, subnets, security group, ALB, port-80 listener"
VPC="$(aws ec2 create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId --output text)"
read -r AZ1 AZ2 _ <<<"$(aws ec2 describe-availability-zones --query 'AvailabilityZones[].ZoneName' --output text)"
SUBNET1="$(aws ec2 create-subnet --vpc-id "$VPC" --cidr-block 10.0.0.0/24 --availability-zone "$AZ1" \
  --query Subnet.SubnetId --output text)"
SUBNET2="$(aws ec2 create-subnet --vpc-id "$VPC" --cidr-block 10.0.1.0/24 --availability-zone "$AZ2" \
  --query Subnet.SubnetId --output text)"
SG="$(aws ec2 create-security-group --group-name container-labs --description "container labs" --vpc-id "$VPC" \
  --query GroupId --output text)"
aws ec2 authorize-security-group-ingress --group-id "$SG" --protocol tcp --port 80 --cidr 0.0.0.0/0 >/dev/null
aws ec2 authorize-security-group-ingress --group-id "$SG" --protocol tcp --port 8080 --cidr 0.0.0.0/0 >/dev/null
read -r LB DNS <<<"$(aws elbv2 create-load-balancer --name alb-container-labs --subnets "$SUBNET1" "$SUBNET2" \
  --security-groups "$SG" --query 'LoadBalancers[0].[LoadBalancerArn,DNSName]' --output text)"
aws elbv2 create-listener --load-balancer-arn "$LB" --port 80 --protocol HTTP \
  --default-actions 'Type=fixed-response,FixedResponseConfig={StatusCode=404,ContentType=text/plain,MessageBody=not found}' \
  >/dev/null
say "VPC $VPC, subnets $SUBNET1 $SUBNET2, security group $SG"
say "load balancer $DNS"
wait_for "alb-container-labs state" active elbv2 describe-load-balancers --names alb-container-labs \
  --query 'LoadBalancers[0].State.Code'

step "Lab 1a: the cluster"
aws ecs create-cluster --cluster-name "$CLUSTER" --query cluster.status --output text

# Lab 2 step 8 looks the listener up.
LISTENER="$(aws elbv2 describe-listeners --region "$REGION" --query "Listeners[0].ListenerArn" \
  --load-balancer-arn "$LB" --output text)"

task_definition() { # task_definition SVC TAG: fargate-task-def-<svc>.json of lab-2 step 4
  cat >"fargate-task-def-$1.json" <<EOF
{
   "requiresCompatibilities": ["FARGATE"],
   "containerDefinitions": [
      {
         "name": "$1-cntr",
         "image": "$ACCOUNT.dkr.ecr.$REGION.amazonaws.com/$1:$2",
         "memoryReservation": 128,
         "essential": true,
         "portMappings": [{"containerPort": 3000, "protocol": "tcp"}],
         "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": "/ecs/$1", "awslogs-region": "$REGION", "awslogs-stream-prefix": "ecs"}
         }
      }
   ],
   "volumes": [],
   "networkMode": "awsvpc",
   "memory": "512",
   "cpu": "256",
   "executionRoleArn": "arn:aws:iam::$ACCOUNT:role/ecsTaskExecutionRole",
   "taskRoleArn": "arn:aws:iam::$ACCOUNT:role/ECSTaskRole",
   "family": "$1-task-def"
}
EOF
}

service_input() { # service_input SVC TG_ARN CONTROLLER: ecs-service-<svc>.json (lab-2 step 10, Lab 4 step 6)
  cat >"ecs-service-$1.json" <<EOF
{
    "cluster": "$CLUSTER",
    "serviceName": "$1",
    "taskDefinition": "$1-task-def:1",
    "loadBalancers": [{"targetGroupArn": "$2", "containerName": "$1-cntr", "containerPort": 3000}],
    "desiredCount": 1,
    "clientToken": "",
    "launchType": "FARGATE",
    "schedulingStrategy": "REPLICA",
    "networkConfiguration": {
        "awsvpcConfiguration": {
            "subnets": ["$SUBNET1", "$SUBNET2"],
            "securityGroups": ["$SG"],
            "assignPublicIp": "DISABLED"
        }
    },
    "deploymentController": {"type": "$3"}
}
EOF
}

create_target_group() { # create_target_group NAME: Lab 2 step 7 / Lab 4 step 8 (with --target-type ip)
  aws elbv2 create-target-group \
    --region "$REGION" \
    --name "$1" \
    --vpc-id "$VPC" \
    --port 3000 \
    --protocol HTTP \
    --target-type ip \
    --health-check-protocol HTTP \
    --health-check-path / \
    --health-check-interval-seconds 6 \
    --health-check-timeout-seconds 5 \
    --healthy-threshold-count 2 \
    --unhealthy-threshold-count 2 \
    --query "TargetGroups[0].TargetGroupArn" \
    --output text
}

declare -A TG
for svc in "${SERVICES[@]}"; do
  step "Lab 2: the $svc service (task definition, log group, target group, /api/$svc* rule, service)"
  task_definition "$svc" latest
  aws logs create-log-group --log-group-name "/ecs/$svc"
  aws ecs register-task-definition --cli-input-json "file://fargate-task-def-$svc.json" \
    --query taskDefinition.taskDefinitionArn --output text
  TG[$svc]="$(create_target_group "$svc-tg")"
  say "target group ${TG[$svc]}"
  aws elbv2 create-rule --region "$REGION" --listener-arn "$LISTENER" --priority "${PRIORITY[$svc]}" \
    --conditions "Field=path-pattern,Values='/api/$svc*'" --actions "Type=forward,TargetGroupArn=${TG[$svc]}" \
    --query 'Rules[0].RuleArn' --output text
  service_input "$svc" "${TG[$svc]}" ECS
  aws ecs create-service --cli-input-json "file://ecs-service-$svc.json" \
    --query 'service.[serviceName,status,deploymentController.type]' --output text
done

step "Waiting for the three services to run behind healthy targets"
for svc in "${SERVICES[@]}"; do
  wait_for "$svc-tg target health" healthy elbv2 describe-target-health --target-group-arn "${TG[$svc]}" \
    --query 'TargetHealthDescriptions[].TargetHealth.State'
done
aws ecs describe-services --cluster "$CLUSTER" --services "${SERVICES[@]}" \
  --query 'services[*].[serviceName,runningCount,deployments[0].rolloutState]' --output text

# ------------------------------------------------------------------------------------------------
# Lab 4
# ------------------------------------------------------------------------------------------------

step "Lab 4 step 1: the CodeDeploy service role"
cat >CodeDeploy-iam-trust-policy.json <<'EOF'
    {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "",
            "Effect": "Allow",
            "Principal": {
                "Service": [
                    "codedeploy.amazonaws.com"
                ]
            },
            "Action": "sts:AssumeRole"
        }
    ]
}
EOF
aws iam create-role \
  --role-name ecsCodeDeployServiceRole \
  --assume-role-policy-document file://CodeDeploy-iam-trust-policy.json \
  --query Role.Arn --output text
aws iam attach-role-policy \
  --role-name ecsCodeDeployServiceRole \
  --policy-arn arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForECS

step "Lab 4 step 2: threads to 0 tasks, then delete it"
aws ecs update-service \
  --region "$REGION" \
  --cluster "$CLUSTER" \
  --service threads \
  --desired-count 0 \
  --query 'service.[desiredCount,runningCount]' --output text
# The lab's query (services[*].taskSets[*].runningCount) is empty for a service with the ECS
# controller, which has no task sets: the service's own runningCount is the one to watch.
wait_for "threads runningCount" 0 ecs describe-services --region "$REGION" --cluster "$CLUSTER" \
  --service threads --query "services[0].runningCount"
aws ecs delete-service \
  --region "$REGION" \
  --cluster "$CLUSTER" \
  --service threads \
  --query service.status --output text
# A service name is free again once the old service is INACTIVE (its tasks have stopped).
wait_for "threads status" INACTIVE ecs describe-services --region "$REGION" --cluster "$CLUSTER" \
  --service threads --query "services[0].status"

step "Lab 4 steps 5-7: recreate threads with the CODE_DEPLOY controller"
service_input threads "${TG[threads]}" CODE_DEPLOY
aws ecs create-service \
  --region "$REGION" \
  --cluster "$CLUSTER" \
  --service-name threads \
  --cli-input-json file://ecs-service-threads.json \
  --query 'service.[status,deploymentController.type,taskSets[0].status,taskSets[0].taskDefinition]' --output text
wait_for "threads task set" $'1\tSTEADY_STATE' ecs describe-services --region "$REGION" --cluster "$CLUSTER" \
  --service threads --query "services[0].taskSets[0].[runningCount,stabilityStatus]"
wait_for "threads-tg target health" healthy elbv2 describe-target-health --target-group-arn "${TG[threads]}" \
  --query 'TargetHealthDescriptions[].TargetHealth.State'

step "Lab 4 step 8: the green target group and the port-8080 test listener"
TG2="$(create_target_group threads-tg-2)"
say "target group $TG2"
# The lab's --query "Listener[0].Listener.Arn" names a member the answer does not have (the CLI
# prints None); Listeners[0].ListenerArn is the ARN the deployment group needs.
TEST_LISTENER="$(aws elbv2 create-listener \
  --region "$REGION" \
  --load-balancer-arn "$LB" \
  --port 8080 \
  --protocol HTTP \
  --default-actions "Type=forward,TargetGroupArn=$TG2" \
  --query "Listeners[0].ListenerArn" \
  --output text)"
say "prod listener $LISTENER"
say "test listener $TEST_LISTENER"

step "Lab 4 step 9: threadsApp and threadsDG"
aws deploy create-application \
  --region "$REGION" \
  --application-name threadsApp \
  --compute-platform ECS
cat >deployment-group-threads.json <<EOF
    {
    "applicationName": "threadsApp",
    "deploymentGroupName": "threadsDG",
    "deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce",
    "serviceRoleArn": "arn:aws:iam::$ACCOUNT:role/ecsCodeDeployServiceRole",
    "ecsServices": [
        {
            "serviceName": "threads",
            "clusterName": "$CLUSTER"
        }
    ],
    "alarmConfiguration": {
        "enabled": false,
        "ignorePollAlarmFailure": true,
        "alarms": []
    },
    "autoRollbackConfiguration": {
        "enabled": true,
        "events": [
            "DEPLOYMENT_FAILURE",
            "DEPLOYMENT_STOP_ON_REQUEST",
            "DEPLOYMENT_STOP_ON_ALARM"
        ]
    },
    "deploymentStyle": {
        "deploymentType": "BLUE_GREEN",
        "deploymentOption": "WITH_TRAFFIC_CONTROL"
    },
    "blueGreenDeploymentConfiguration": {
        "terminateBlueInstancesOnDeploymentSuccess": {
            "action": "TERMINATE",
            "terminationWaitTimeInMinutes": 5
        },
        "deploymentReadyOption": {
            "actionOnTimeout": "CONTINUE_DEPLOYMENT",
            "waitTimeInMinutes": 0
        }
    },
    "loadBalancerInfo": {
        "targetGroupPairInfoList": [
            {
                "targetGroups": [
                    {
                        "name": "threads-tg"
                    },
                    {
                        "name": "threads-tg-2"
                    }
                ],
                "prodTrafficRoute": {
                    "listenerArns": [
                        "$LISTENER"
                    ]
                },
                "testTrafficRoute": {
                    "listenerArns": [
                        "$TEST_LISTENER"
                    ]
                }
            }
        ]
    }
}
EOF
aws deploy create-deployment-group \
  --region "$REGION" \
  --cli-input-json file://deployment-group-threads.json

step "Lab 4 step 9: the hook's role and the Lambda function CodeDeployHook_pre-traffic-hook"
cat >lambda-trust-policy.json <<'EOF'
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
  ]
}
EOF
cat >hook-policy.json <<EOF
    {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": [
                "codedeploy:PutLifecycleEventHookExecutionStatus"
            ],
            "Resource": "arn:aws:codedeploy:$REGION:$ACCOUNT:deploymentgroup:*",
            "Effect": "Allow"
        }
    ]
}
EOF
HOOK_ROLE="$(aws iam create-role --role-name CodeDeployHookRole \
  --assume-role-policy-document file://lambda-trust-policy.json --query Role.Arn --output text)"
aws iam attach-role-policy --role-name CodeDeployHookRole \
  --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
aws iam put-role-policy --role-name CodeDeployHookRole \
  --policy-name PutLifecycleEventHookExecutionStatus --policy-document file://hook-policy.json
mkdir -p hooks
cp "$HOOK_SOURCE" hooks/pre-traffic-hook.js
(cd hooks && python3 -m zipfile -c ../pre-traffic-hook.zip pre-traffic-hook.js)
# The lab's nodejs8.10 is refused by AWS today; nodejs20.x runs the same handler.
aws lambda create-function \
  --region "$REGION" \
  --function-name CodeDeployHook_pre-traffic-hook \
  --zip-file fileb://pre-traffic-hook.zip \
  --role "$HOOK_ROLE" \
  --environment "Variables={TargetUrl=http://$DNS:8080/api/threads}" \
  --handler pre-traffic-hook.handler \
  --runtime nodejs20.x \
  --query '[FunctionName,State]' --output text
wait_for "hook function state" Active lambda get-function-configuration \
  --function-name CodeDeployHook_pre-traffic-hook --query State

step "Lab 4 step 9: the appspec and the new threads image (tag 0.1)"
cat >appspec.json <<EOF
{
    "version": 0.0,
    "Resources": [
    {
    "TargetService": {
        "Type": "AWS::ECS::Service",
        "Properties": {
        "TaskDefinition": "threads-task-def:1",
        "LoadBalancerInfo": {
            "ContainerName": "threads-cntr",
            "ContainerPort": 3000
        },
        "PlatformVersion": "LATEST",
        "NetworkConfiguration": {
            "awsvpcConfiguration": {
            "subnets": [
                "$SUBNET1","$SUBNET2"
            ],
            "securityGroups": [
                "$SG"
            ],
            "assignPublicIp": "DISABLED"
            }
        }
        }
    }
    }
],
"Hooks": [
    {
    "BeforeAllowTraffic": "CodeDeployHook_pre-traffic-hook"
    }
]
}
EOF
task_definition threads 0.1

# Traffic through the production listener while the deployment runs, through the emulator's main
# port with the load balancer's name in Host (this works wherever the endpoint is reachable, also
# from another container): one line per answer, the task definition that served it.
watch_traffic() {
  while :; do
    curl -s --max-time 2 -H "Host: $DNS" "$ENDPOINT/api/threads" |
      python3 -c 'import json, sys
try:
    print(json.load(sys.stdin).get("taskDefinitionArn", "?").rsplit("/", 1)[-1])
except ValueError:
    print("(no JSON answer)")' || true
    sleep 0.2
  done
}
watch_traffic >traffic.log 2>/dev/null &
WATCHER=$!
trap 'kill $WATCHER 2>/dev/null || true' EXIT

step "Lab 4 step 9: aws ecs deploy (waits until the deployment succeeds)"
aws ecs deploy \
  --region "$REGION" \
  --cluster "$CLUSTER" \
  --service threads \
  --task-definition fargate-task-def-threads.json \
  --codedeploy-appspec appspec.json \
  --codedeploy-application threadsApp \
  --codedeploy-deployment-group threadsDG
kill "$WATCHER" 2>/dev/null || true
wait "$WATCHER" 2>/dev/null || true
trap - EXIT

# ------------------------------------------------------------------------------------------------
# Checks
# ------------------------------------------------------------------------------------------------

step "The deployment"
DEPLOYMENT="$(aws deploy list-deployments --application-name threadsApp --deployment-group-name threadsDG \
  --query 'deployments[0]' --output text)"
STATUS="$(aws deploy get-deployment --deployment-id "$DEPLOYMENT" --query deploymentInfo.status --output text)"
say "deployment $DEPLOYMENT: $STATUS"
aws deploy get-deployment-target --deployment-id "$DEPLOYMENT" --target-id "$CLUSTER:threads" \
  --query 'deploymentTarget.ecsTarget.lifecycleEvents[].[lifecycleEventName,status]' --output text |
  while read -r event status; do say "  $event $status"; done
[[ $STATUS == Succeeded ]] || die "deployment $DEPLOYMENT is $STATUS, not Succeeded"

step "Where traffic goes now"
RULE="$(aws elbv2 describe-rules --listener-arn "$LISTENER" \
  --query "Rules[?Conditions[0].Values[0]=='/api/threads*'].RuleArn | [0]" --output text)"
WEIGHTS="$(aws elbv2 describe-rules --rule-arns "$RULE" \
  --query 'Rules[0].Actions[0].ForwardConfig.TargetGroups[].[TargetGroupArn,Weight]' --output text |
  while read -r arn weight; do printf '%s=%s ' "$(cut -d/ -f2 <<<"$arn")" "$weight"; done)"
say "/api/threads* rule: ${WEIGHTS% }"
aws ecs describe-services --cluster "$CLUSTER" --services threads \
  --query 'services[0].taskSets[].[status,taskDefinition,runningCount]' --output text |
  while read -r status td count; do say "task set $status ${td##*/} running $count"; done
ANSWER="$(curl -fsS -H "Host: $DNS" "$ENDPOINT/api/threads")"
SERVED="$(json 'd["taskDefinitionArn"].rsplit("/", 1)[-1]' <<<"$ANSWER")"
say "GET http://$DNS/api/threads served by $SERVED"
[[ $SERVED == threads-task-def:2 ]] || die "the ALB still serves $SERVED"
[[ $WEIGHTS == *"threads-tg-2=100"* ]] || die "the /api/threads* rule does not forward 100% to threads-tg-2: $WEIGHTS"

step "Traffic seen on the production listener during the deployment"
python3 - traffic.log <<'EOF'
import sys
runs = []
for line in open(sys.argv[1]):
    line = line.strip()
    if runs and runs[-1][0] == line:
        runs[-1][1] += 1
    else:
        runs.append([line, 1])
for served, n in runs:
    print(f"    {n:4d} x {served}")
EOF

step "Lab 4 done: threads runs threads-task-def:2 behind threads-tg-2, deployed blue/green by CodeDeploy"
