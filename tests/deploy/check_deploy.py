#!/usr/bin/python3
"""check_deploy.py - static checks of deploy/aws/: the CloudFormation template and the Dockerfile.

    python3 tests/deploy/check_deploy.py [REPO_ROOT]

What this machine can check without an AWS account or a Docker daemon:

- cylon.yaml parses as YAML with CloudFormation's short tags (!Ref, !Sub, !GetAtt, !If ...),
  turned into the long forms ({"Ref": ...}, {"Fn::Sub": ...}) CloudFormation itself uses;
- every !Ref, !GetAtt, ${...} of !Sub, DependsOn and !If condition names a parameter, a
  pseudo parameter, a resource or a condition that exists, and the resources' references
  form no cycle (CloudFormation refuses circular dependencies);
- the resources expected are there (function on provided.al2023 in a VPC, Redis, the
  rendezvous host, NAT gateway, S3 endpoint ...);
- the worker role is least privilege: S3 object actions only on DataBucket/DataPrefix*,
  ListBucket only with an s3:prefix condition, no wildcard actions, "*" resources only for
  the network-interface actions Lambda needs in a VPC;
- the Dockerfile's stages start FROM the expected images and its COPY sources exist.

Uses Debian's python3-yaml (scripts/install-deps); exits 1 naming each failed check.
"""
import os
import re
import sys

import yaml

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../.."))
failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)


# ---- a YAML loader that knows CloudFormation's short tags ----------------------------------
class CfnLoader(yaml.SafeLoader):
    pass


def _long_form(name):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "Fn::GetAtt":  # !GetAtt A.B is ["A", "B"] in the long form
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}
    return construct


for tag in ["Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select",
            "Split", "Sub", "Transform", "And", "Equals", "If", "Not", "Or"]:
    CfnLoader.add_constructor("!" + tag, _long_form("Fn::" + tag))
CfnLoader.add_constructor("!Ref", _long_form("Ref"))
CfnLoader.add_constructor("!Condition", _long_form("Condition"))

PSEUDO = {"AWS::AccountId", "AWS::NoValue", "AWS::Partition", "AWS::Region", "AWS::StackName",
          "AWS::StackId", "AWS::URLSuffix", "AWS::NotificationARNs"}


def walk(node, visit):
    """Call visit(key, value) for every single-key intrinsic {key: value} in node."""
    if isinstance(node, dict):
        if len(node) == 1:
            (k, v), = node.items()
            visit(k, v)
        for v in node.values():
            walk(v, visit)
    elif isinstance(node, list):
        for v in node:
            walk(v, visit)


def sub_names(value):
    """The names a Fn::Sub string refers to (${Name}, ${Res.Attr}; ${!x} is literal)."""
    text, local = (value, {}) if isinstance(value, str) else (value[0], value[1])
    names = set()
    for m in re.finditer(r"\$\{([^}]*)\}", text):
        ref = m.group(1)
        if ref.startswith("!") or ref in local or ref.startswith("resolve:"):
            continue
        names.add(ref.split(".", 1)[0])
    return names


def check_template(path):
    with open(path) as f:
        text = f.read()
    try:
        t = yaml.load(text, Loader=CfnLoader)
    except yaml.YAMLError as e:
        failures.append(f"{path} does not parse: {e}")
        return
    expect(t.get("AWSTemplateFormatVersion") == "2010-09-09", "AWSTemplateFormatVersion 2010-09-09")
    params = t.get("Parameters", {})
    conditions = t.get("Conditions", {})
    resources = t.get("Resources", {})
    known = set(params) | set(resources) | PSEUDO
    for name, r in resources.items():
        expect(isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::"),
               f"resource {name} has an AWS:: Type")

    # References: every name exists; the graph between resources has no cycle.
    deps = {name: set() for name in resources}

    def refs_of(node):
        found = set()

        def visit(k, v):
            if k == "Ref" and isinstance(v, str):
                found.add(v)
            elif k == "Fn::GetAtt":
                found.add(v[0] if isinstance(v, list) else str(v).split(".", 1)[0])
            elif k == "Fn::Sub":
                found.update(sub_names(v))
        walk(node, visit)
        return found

    for name, r in resources.items():
        for ref in refs_of(r.get("Properties", {})) | refs_of(r.get("Metadata", {})):
            expect(ref in known, f"{name} refers to {ref}, which is not a parameter or resource")
            if ref in resources:
                deps[name].add(ref)
        depends = r.get("DependsOn", [])
        for d in [depends] if isinstance(depends, str) else depends:
            expect(d in resources, f"{name} DependsOn {d}, which is not a resource")
            deps[name].add(d)
        if "Condition" in r:
            expect(r["Condition"] in conditions, f"{name}: unknown condition {r['Condition']}")

        def visit_if(k, v):
            if k == "Fn::If":
                expect(isinstance(v, list) and len(v) == 3 and v[0] in conditions,
                       f"{name}: !If on an unknown condition or not [cond, then, else]: {v}")
        walk(r, visit_if)
    for name, out in t.get("Outputs", {}).items():
        for ref in refs_of(out):
            expect(ref in known, f"output {name} refers to {ref}, which does not exist")
    for ref in refs_of(conditions):
        expect(ref in params or ref in PSEUDO, f"a condition refers to {ref}, not a parameter")

    state = {}

    def cycle_from(n, path):
        state[n] = "open"
        for d in sorted(deps.get(n, ())):
            if state.get(d) == "open":
                return path + [n, d]
            if d not in state:
                c = cycle_from(d, path + [n])
                if c:
                    return c
        state[n] = "done"
        return None
    for n in sorted(resources):
        if n not in state:
            c = cycle_from(n, [])
            if c:
                failures.append("circular dependency: " + " -> ".join(c[c.index(c[-1]):]))
                break

    # The pieces DESIGN.md section 6 asks for.
    types = {}
    for name, r in resources.items():
        types.setdefault(r.get("Type"), []).append(name)
    for want in ["AWS::Lambda::Function", "AWS::IAM::Role", "AWS::ElastiCache::CacheCluster",
                 "AWS::EC2::Instance", "AWS::EC2::VPC", "AWS::EC2::NatGateway",
                 "AWS::EC2::InternetGateway", "AWS::EC2::VPCEndpoint", "AWS::Logs::LogGroup",
                 "AWS::SecretsManager::Secret"]:
        expect(want in types, f"a resource of type {want}")
    expect(len(types.get("AWS::EC2::Subnet", [])) >= 4, "two public and two private subnets")
    expect(len(types.get("AWS::EC2::SecurityGroup", [])) >= 3, "security groups for workers, host, Redis")

    fn_names = types.get("AWS::Lambda::Function", [])
    if not fn_names:
        return
    fn = resources[fn_names[0]]["Properties"]
    runtime = fn.get("Runtime")
    expect(runtime == "provided.al2023" or (isinstance(runtime, dict) and "provided.al2023" in
                                            str(runtime.get("Fn::If"))),
           f"the function's runtime is provided.al2023: {runtime}")
    expect(fn.get("MemorySize") == {"Ref": "MemorySize"} and fn.get("Timeout") == {"Ref": "Timeout"},
           "memory and timeout come from parameters")
    expect(params.get("Timeout", {}).get("MaxValue") == 900, "Timeout is capped at Lambda's 900 s")
    expect(params.get("MemorySize", {}).get("MaxValue") == 10240, "MemorySize is capped at 10240 MB")
    vpc = fn.get("VpcConfig", {})
    expect(vpc.get("SubnetIds") and vpc.get("SecurityGroupIds"), "the function runs in the VPC")
    private = {n for n in types.get("AWS::EC2::Subnet", []) if "Private" in n}
    expect({s.get("Ref") for s in vpc.get("SubnetIds", [])} <= private and private,
           "the function's subnets are the private ones (behind the NAT gateway)")
    code = str(fn.get("Code"))
    expect("CodeBucket" in code and "CodeKey" in code and "ImageUri" in code,
           "the code is the zip in S3 or the container image")

    # The worker role: least privilege.
    role_ref = fn.get("Role", {}).get("Fn::GetAtt", [None])[0]
    expect(role_ref in resources, f"the function's role is a resource of the template: {role_ref}")
    if role_ref not in resources:
        return
    role = resources[role_ref]["Properties"]
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    expect(len(trust) == 1 and trust[0]["Principal"] == {"Service": "lambda.amazonaws.com"},
           "only Lambda may assume the worker role")
    expect(not role.get("ManagedPolicyArns"), "no managed policies on the worker role (all inline)")
    statements = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    vpc_actions = {"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
                   "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
                   "ec2:UnassignPrivateIpAddresses"}
    s3_actions = set()
    for s in statements:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        resources_ = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        expect(s["Effect"] == "Allow", f"{s.get('Sid')}: Allow statements only")
        for a in actions:
            expect("*" not in a, f"{s.get('Sid')}: no wildcard action ({a})")
        if "*" in resources_:
            expect(set(actions) <= vpc_actions,
                   f"{s.get('Sid')}: Resource \"*\" only for the VPC interface actions, not {actions}")
        s3 = [a for a in actions if a.startswith("s3:")]
        s3_actions.update(s3)
        if not s3:
            continue
        arns = [r.get("Fn::Sub") if isinstance(r, dict) else r for r in resources_]
        cond = s.get("Condition", {})
        if s3 == ["s3:ListBucket"]:
            expect(arns == ["arn:${AWS::Partition}:s3:::${DataBucket}"],
                   f"ListBucket on the data bucket only: {arns}")
            prefixes = cond.get("StringLike", {}).get("s3:prefix")
            expect(prefixes is not None and "${DataPrefix}*" in str(prefixes),
                   f"ListBucket limited by an s3:prefix condition on DataPrefix: {cond}")
        else:
            expect(set(s3) <= {"s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                               "s3:AbortMultipartUpload"}, f"object actions only: {s3}")
            expect(arns == ["arn:${AWS::Partition}:s3:::${DataBucket}/${DataPrefix}*"],
                   f"object actions only under DataBucket/DataPrefix: {arns}")
        expect("aws:SourceVpce" in str(cond), f"{s.get('Sid')}: S3 only through the VPC endpoint")
    expect(s3_actions == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload",
                          "s3:ListBucket"}, f"the worker's S3 actions: {sorted(s3_actions)}")
    logs = [s for s in statements if any(str(a).startswith("logs:") for a in
                                         (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))]
    expect(len(logs) == 1 and "log-group:/aws/lambda/${FunctionName}" in str(logs[0]["Resource"]),
           "logs only to the function's own log group")


def check_dockerfile(path):
    with open(path) as f:
        lines = f.read().replace("\\\n", " ").splitlines()
    stages, froms = set(), []
    for n, line in enumerate(lines, 1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        op = words[0].upper()
        if op == "FROM":
            froms.append(words[1])
            if len(words) >= 4 and words[2].upper() == "AS":
                stages.add(words[3])
        elif op == "COPY":
            args = [w for w in words[1:] if not w.startswith("--")]
            from_stage = next((w.split("=", 1)[1] for w in words[1:] if w.startswith("--from=")), None)
            if from_stage is not None:
                expect(from_stage in stages, f"Dockerfile:{n}: COPY --from an unknown stage {from_stage}")
                continue
            for src in args[:-1]:
                expect(os.path.exists(os.path.join(ROOT, src)),
                       f"Dockerfile:{n}: COPY source {src} does not exist in the repository")
    expect(froms and froms[0].startswith("public.ecr.aws/amazonlinux/amazonlinux:2023"),
           f"the build stage is Amazon Linux 2023: {froms[:1]}")
    expect(froms and froms[-1] == "public.ecr.aws/lambda/provided:al2023",
           f"the image is built on Lambda's provided:al2023: {froms[-1:]}")
    text = "\n".join(lines)
    expect("build-zip.sh" in text and "--glibc system" in text,
           "the image packages with build-zip.sh and refuses a glibc newer than the base's")
    expect("/var/runtime/bootstrap" in text, "the bootstrap lands in LAMBDA_RUNTIME_DIR (/var/runtime)")


check_template(os.path.join(ROOT, "deploy/aws/cylon.yaml"))
check_dockerfile(os.path.join(ROOT, "deploy/aws/Dockerfile"))
for f in failures:
    print(f"FAIL: {f}", file=sys.stderr)
if failures:
    sys.exit(1)
print("check_deploy: ok", file=sys.stderr)
