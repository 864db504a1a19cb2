#!/usr/bin/env python3
"""Regenerate emulator/models/*.json from the pinned botocore sdist.

Usage: python3 tools/gen-models.py [--sdist PATH]

Downloads botocore==BOTOCORE_VERSION with pip (unless --sdist names the tarball),
takes the newest service-2.json of each service cutover serves, strips everything the
server does not need (documentation, examples, deprecation notes) and writes compact,
key-sorted JSON, so running it twice gives byte-identical files.

EC2's model is 9 MB; only the operations cutover implements keep their shapes
(EC2_KEEP: the EC2 list of tools/implemented.json plus EC2_EXTRA), every other EC2
operation keeps just its name and HTTP binding so that it is answered with 501 (known
to the model, not implemented) rather than InvalidAction.
"""
import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile

BOTOCORE_VERSION = "1.43.11"
SERVICES = ["ecs", "elbv2", "codedeploy", "iam", "sts", "lambda", "cloudwatch", "logs", "ec2"]
# The EC2 operations that keep their shapes: the ones cutover implements (tools/implemented.json,
# which tools/gen-types.py reads too) and a few more the model has always kept in full.
EC2_EXTRA = {
    "DescribeAccountAttributes", "DescribeNetworkInterfaces", "DescribeInternetGateways",
    "DescribeRouteTables", "CreateDefaultVpc",
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "implemented.json")) as _f:
    EC2_KEEP = set(json.load(_f)["ec2"]) | EC2_EXTRA
DROP_KEYS = {"documentation", "documentationUrl", "deprecatedMessage", "examples", "docs"}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROP_KEYS}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def shape_closure(shapes, roots):
    seen = set()
    stack = [r for r in roots if r]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        s = shapes[name]
        for key in ("member", "key", "value"):
            if key in s:
                stack.append(s[key]["shape"])
        for m in s.get("members", {}).values():
            stack.append(m["shape"])
    return seen


def prune_ec2(model):
    keep_shapes = []
    for name, op in list(model["operations"].items()):
        if name in EC2_KEEP:
            for k in ("input", "output"):
                if k in op:
                    keep_shapes.append(op[k]["shape"])
            for e in op.get("errors", []):
                keep_shapes.append(e["shape"])
        else:
            model["operations"][name] = {"name": op["name"], "http": op["http"]}
    closure = shape_closure(model["shapes"], keep_shapes)
    model["shapes"] = {k: v for k, v in model["shapes"].items() if k in closure}
    return model


def newest_model(root, svc):
    base = os.path.join(root, "botocore", "data", svc)
    versions = sorted(d for d in os.listdir(base) if os.path.isdir(os.path.join(base, d)))
    path = os.path.join(base, versions[-1], "service-2.json")
    with open(path) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sdist", help="path to botocore-%s.tar.gz" % BOTOCORE_VERSION)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "emulator", "models"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sdist = args.sdist
        if not sdist:
            subprocess.check_call([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                                   "--no-binary", ":all:", "botocore==" + BOTOCORE_VERSION, "-d", tmp])
            sdist = os.path.join(tmp, "botocore-%s.tar.gz" % BOTOCORE_VERSION)
        with tarfile.open(sdist) as tf:
            members = [m for m in tf.getmembers() if "/botocore/data/" in m.name and m.name.endswith("service-2.json")
                       and m.name.split("/botocore/data/")[1].split("/")[0] in SERVICES]
            tf.extractall(tmp, members=members)
        root = os.path.join(tmp, "botocore-%s" % BOTOCORE_VERSION)
        os.makedirs(args.out, exist_ok=True)
        for svc in SERVICES:
            model = strip(newest_model(root, svc))
            if svc == "ec2":
                model = prune_ec2(model)
            model["metadata"]["x-botocore-version"] = BOTOCORE_VERSION
            with open(os.path.join(args.out, svc + ".json"), "w") as f:
                json.dump(model, f, sort_keys=True, separators=(",", ":"))
                f.write("\n")
            print("wrote", svc)


if __name__ == "__main__":
    main()
