//! The AWS managed policies cutover knows: global (`arn:aws:iam::aws:policy/<path><name>`), the
//! same in every account, not modifiable. Their paths, default versions and documents are AWS's
//! (from the AWS Managed Policy Reference); creation and update dates to the minute.

use sha2::{Digest, Sha256};

/// One AWS managed policy.
#[derive(Debug)]
pub struct AwsManagedPolicy {
    pub name: &'static str,
    pub path: &'static str,
    pub description: &'static str,
    pub default_version: &'static str,
    /// Epoch seconds.
    pub create_date: f64,
    pub update_date: f64,
    /// The default version's document (JSON).
    pub document: &'static str,
}

impl AwsManagedPolicy {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy{}{}", self.path, self.name)
    }

    /// A stable `ANPA…` id derived from the name (AWS's real ids are not published).
    pub fn policy_id(&self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let digest = Sha256::digest(self.name.as_bytes());
        let tail: String = digest
            .iter()
            .take(17)
            .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
            .collect();
        format!("ANPA{tail}")
    }
}

pub static AWS_MANAGED_POLICIES: &[AwsManagedPolicy] = &[
    AwsManagedPolicy {
        name: "AWSCodeDeployRoleForECS",
        path: "/",
        description: "Provides CodeDeploy service wide access to perform an ECS blue/green deployment on your behalf. Grants full access to support services, such as full access to read all S3 objects, invoke all Lambda functions, publish to all SNS topics within the account and update all ECS services.",
        default_version: "v3",
        create_date: 1_543_351_200.0,
        update_date: 1_569_278_220.0,
        document: r#"{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Action" : [
        "ecs:DescribeServices",
        "ecs:CreateTaskSet",
        "ecs:UpdateServicePrimaryTaskSet",
        "ecs:DeleteTaskSet",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:ModifyRule",
        "lambda:InvokeFunction",
        "cloudwatch:DescribeAlarms",
        "sns:Publish",
        "s3:GetObject",
        "s3:GetObjectVersion"
      ],
      "Resource" : "*",
      "Effect" : "Allow"
    },
    {
      "Action" : [
        "iam:PassRole"
      ],
      "Effect" : "Allow",
      "Resource" : "*",
      "Condition" : {
        "StringLike" : {
          "iam:PassedToService" : [
            "ecs-tasks.amazonaws.com"
          ]
        }
      }
    }
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AWSCodeDeployRoleForECSLimited",
        path: "/",
        description: "Provides CodeDeploy service limited access to perform an ECS blue/green deployment on your behalf.",
        default_version: "v3",
        create_date: 1_543_351_320.0,
        update_date: 1_569_276_600.0,
        document: r#"{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Action" : [
        "ecs:DescribeServices",
        "ecs:CreateTaskSet",
        "ecs:UpdateServicePrimaryTaskSet",
        "ecs:DeleteTaskSet",
        "cloudwatch:DescribeAlarms"
      ],
      "Resource" : "*",
      "Effect" : "Allow"
    },
    {
      "Action" : [
        "sns:Publish"
      ],
      "Resource" : "arn:aws:sns:*:*:CodeDeployTopic_*",
      "Effect" : "Allow"
    },
    {
      "Action" : [
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:ModifyRule"
      ],
      "Resource" : "*",
      "Effect" : "Allow"
    },
    {
      "Action" : [
        "lambda:InvokeFunction"
      ],
      "Resource" : "arn:aws:lambda:*:*:function:CodeDeployHook_*",
      "Effect" : "Allow"
    },
    {
      "Action" : [
        "s3:GetObject",
        "s3:GetObjectVersion"
      ],
      "Resource" : "*",
      "Condition" : {
        "StringEquals" : {
          "s3:ExistingObjectTag/UseWithCodeDeploy" : "true"
        }
      },
      "Effect" : "Allow"
    },
    {
      "Action" : [
        "iam:PassRole"
      ],
      "Effect" : "Allow",
      "Resource" : [
        "arn:aws:iam::*:role/ecsTaskExecutionRole",
        "arn:aws:iam::*:role/ECSTaskExecution*"
      ],
      "Condition" : {
        "StringLike" : {
          "iam:PassedToService" : [
            "ecs-tasks.amazonaws.com"
          ]
        }
      }
    }
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AWSLambdaBasicExecutionRole",
        path: "/service-role/",
        description: "Provides write permissions to CloudWatch Logs.",
        default_version: "v1",
        create_date: 1_428_591_780.0,
        update_date: 1_428_591_780.0,
        document: r#"{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents"
      ],
      "Resource" : "*"
    }
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AWSLambdaRole",
        path: "/service-role/",
        description: "Default policy for AWS Lambda service role.",
        default_version: "v1",
        create_date: 1_423_248_060.0,
        update_date: 1_423_248_060.0,
        document: r#"{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "lambda:InvokeFunction"
      ],
      "Resource" : [
        "*"
      ]
    }
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonECSTaskExecutionRolePolicy",
        path: "/service-role/",
        description: "Provides access to other AWS service resources that are required to run Amazon ECS tasks",
        default_version: "v1",
        create_date: 1_510_858_080.0,
        update_date: 1_510_858_080.0,
        document: r#"{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
        "logs:CreateLogStream",
        "logs:PutLogEvents"
      ],
      "Resource" : "*"
    }
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "AmazonEC2ContainerRegistryReadOnly",
        path: "/",
        description: "Provides read-only access to Amazon EC2 Container Registry repositories.",
        default_version: "v3",
        create_date: 1_450_717_440.0,
        update_date: 1_576_011_360.0,
        document: r#"{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Effect" : "Allow",
      "Action" : [
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetRepositoryPolicy",
        "ecr:DescribeRepositories",
        "ecr:ListImages",
        "ecr:DescribeImages",
        "ecr:BatchGetImage",
        "ecr:GetLifecyclePolicy",
        "ecr:GetLifecyclePolicyPreview",
        "ecr:ListTagsForResource",
        "ecr:DescribeImageScanFindings"
      ],
      "Resource" : "*"
    }
  ]
}"#,
    },
    AwsManagedPolicy {
        name: "CloudWatchLogsFullAccess",
        path: "/",
        description: "Provides full access to CloudWatch Logs",
        default_version: "v2",
        create_date: 1_423_248_000.0,
        update_date: 1_701_117_780.0,
        document: r#"{
  "Version" : "2012-10-17",
  "Statement" : [
    {
      "Sid" : "CloudWatchLogsFullAccess",
      "Effect" : "Allow",
      "Action" : [
        "logs:*",
        "cloudwatch:GenerateQuery"
      ],
      "Resource" : "*"
    }
  ]
}"#,
    },
];

/// The AWS managed policy with this ARN.
///
/// Lab 4 attaches `arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForECS`, while the
/// policy's ARN has no `service-role/` path. So that the lab's step works as written, a policy
/// whose path is `/` is also found under `/service-role/`; callers store [`canonical_arn`].
pub fn by_arn(arn: &str) -> Option<&'static AwsManagedPolicy> {
    let rest = arn.strip_prefix("arn:aws:iam::aws:policy")?;
    AWS_MANAGED_POLICIES.iter().find(|p| {
        rest.strip_prefix(p.path) == Some(p.name)
            || (p.path == "/" && rest.strip_prefix("/service-role/") == Some(p.name))
    })
}

/// The ARN a policy is recorded under: the AWS managed policy's real ARN, or the ARN as given.
pub fn canonical_arn(arn: &str) -> String {
    by_arn(arn).map(AwsManagedPolicy::arn).unwrap_or_else(|| arn.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::iam::documents::{validate, DocKind};

    #[test]
    fn every_managed_document_is_a_valid_identity_policy_and_found_by_arn() {
        for p in AWS_MANAGED_POLICIES {
            validate(p.document, DocKind::Managed).unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert_eq!(by_arn(&p.arn()).map(|q| q.name), Some(p.name));
            let id = p.policy_id();
            assert!(id.starts_with("ANPA") && id.len() == 21, "{id}");
        }
        assert!(by_arn("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole").is_some());
        assert!(by_arn("arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole").is_none());
        assert!(by_arn("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy").is_some());
    }
}
