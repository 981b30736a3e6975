"""moto's server with IAM evaluated the way AWS does it for what this project calls, for the IAM tests.

moto (pinned in scripts/install-deps.sh) enforces identity policies once its auth is switched on
(POST /moto-api/reset-auth), but three gaps would make a published policy look wrong or right for the
wrong reason. This launcher closes them in-process, then runs moto's own server:

- Policy evaluation: moto turns a policy's `*` into a regex and leaves `?` and `.` as regex syntax (the
  documented Secrets Manager pattern `name-??????` is a regex error), and an Allow whose condition does
  not hold becomes an explicit Deny. Here `*` and `?` are IAM wildcards, a statement applies when its
  action, resource and conditions (StringEquals, StringLike on `s3:prefix` and
  `secretsmanager:ResourceTag/KEY`) match, an applying Deny wins, else an applying Allow is needed.
- Secrets Manager resources: moto checks every call against `*`. Here GetSecretValue and the other
  per-secret calls are checked against the secret's ARN, and BatchGetSecretValue, as AWS documents it,
  needs `secretsmanager:GetSecretValue` on each secret it returns (the others come back in `Errors` as
  AccessDeniedException) and, with filters, `secretsmanager:ListSecrets`.
- SSM Parameter Store: GetParameters is checked on every parameter it names, GetParametersByPath on
  its path (moto checks both against `*`).
- STS AssumeRoleWithWebIdentity: moto accepts any token. Here, like AWS, the call is unsigned and the
  token must be a JWT signed by a key of its issuer (JWKS given in MOTO_IAM_OIDC_JWKS, a JSON file
  {issuer: jwks}, as AWS would fetch them from the issuer), not expired, for an IAM OIDC provider of
  that issuer whose client ids hold its audience, and the role's trust policy must allow that provider
  with StringEquals/StringLike conditions on `<provider>:sub` and `<provider>:aud`.

Usage: python server.py -H 127.0.0.1 -p PORT (moto_server's arguments).
"""

import base64
import json
import os
import re
import time
from urllib.parse import parse_qs, urlparse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from moto import server, settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError
from moto.iam import access_control
from moto.iam.models import iam_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.sts.exceptions import STSClientError
from moto.ssm.responses import SimpleSystemManagerResponse
from moto.sts.responses import TokenResponse
from moto.utilities.utils import get_partition


IAM_TOKEN = re.compile(r"\$\{([*?$])\}|[*?]|.", re.DOTALL)


def iam_pattern(pattern, value, ignore_case=False):
    """IAM's wildcard match: `*` any run of characters, `?` exactly one, `${*}` `${?}` `${$}` literal."""
    regex = "".join(
        re.escape(m.group(1)) if m.group(1) else ".*" if m.group(0) == "*" else "." if m.group(0) == "?" else re.escape(m.group(0))
        for m in IAM_TOKEN.finditer(pattern)
    )
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def iam_literal(text):
    """A condition value of StringEquals with IAM's escapes resolved."""
    return re.sub(r"\$\{([*?$])\}", r"\1", text)


def as_list(value):
    return value if isinstance(value, list) else [value]


def condition_holds(operator, expected, actual):
    """StringEquals and StringLike (any of the values); a key the request lacks or another operator never holds."""
    if actual is None:
        return False
    if operator == "StringEquals":
        return any(a in [iam_literal(e) for e in as_list(expected)] for a in as_list(actual))
    if operator == "StringLike":
        return any(iam_pattern(e, str(a)) for a in as_list(actual) for e in as_list(expected))
    return False


KNOWN_OPERATORS = {"StringEquals", "StringLike"}


def statement_applies(statement, action, resource, context):
    """A statement applies when its action, resource and every condition match (conditions never deny by themselves).
    A condition this emulation cannot evaluate never grants, and always denies: it fails closed both ways."""
    if "Action" in statement and not any(iam_pattern(a, action, True) for a in as_list(statement["Action"])):
        return False
    if "NotAction" in statement and any(iam_pattern(a, action, True) for a in as_list(statement["NotAction"])):
        return False
    if "Resource" in statement and not any(iam_pattern(r, resource) for r in as_list(statement["Resource"])):
        return False
    if "NotResource" in statement and any(iam_pattern(r, resource) for r in as_list(statement["NotResource"])):
        return False
    conditions = statement.get("Condition", {})
    if statement.get("Effect") == "Deny" and any(operator not in KNOWN_OPERATORS for operator in conditions):
        return True
    return all(
        condition_holds(operator, expected, context.get(key))
        for operator, pairs in conditions.items()
        for key, expected in pairs.items()
    )


def request_context(request, resource):
    """The condition keys this project's policies use: s3:prefix of a listing, the secret's tags."""
    context = {}
    query = parse_qs(urlparse(request._path).query, keep_blank_values=True)
    if "prefix" in query:
        context["s3:prefix"] = query["prefix"][0]
    for backend in secretsmanager_backends[request.account_id].values():
        secret = backend.secrets.get(resource) if resource.startswith("arn:") else None
        for tag in getattr(secret, "tags", None) or []:
            context[f"secretsmanager:ResourceTag/{tag['Key']}"] = tag["Value"]
    return context


def check_action_permitted(self, resource):
    """AWS's evaluation for one account: an explicit Deny wins, else some Allow must apply."""
    context = request_context(self, resource)
    allowed = False
    for policy in self._access_key.collect_policies():
        statements = access_control.IAMPolicy(policy)._policy_json.get("Statement", [])
        for statement in as_list(statements):
            if statement_applies(statement, self._action, resource, context):
                if statement.get("Effect") == "Deny":
                    self._raise_access_denied()
                allowed = allowed or statement.get("Effect") == "Allow"
    if not allowed:
        self._raise_access_denied()


access_control.IAMRequestBase.check_action_permitted = check_action_permitted


def auth_enforced():
    return ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT


# ---- Secrets Manager: per-secret resources ----

def secret_arn(response, secret_id):
    """The ARN IAM sees for a secret id: the secret's own ARN, or for an unknown name the ARN it would have."""
    backend = secretsmanager_backends[response.current_account][response.region]
    secret = backend.secrets.get(secret_id)
    if secret is not None:
        return secret.arn
    if secret_id.startswith("arn:"):
        return secret_id
    partition = get_partition(response.region)
    return f"arn:{partition}:secretsmanager:{response.region}:{response.current_account}:secret:{secret_id}"


def determine_secret_resource(self):
    secret_id = self._get_param("SecretId")
    return secret_arn(self, secret_id) if isinstance(secret_id, str) and secret_id else "*"


SecretsManagerResponse._determine_resource = determine_secret_resource


def iam_request(response, action):
    """The caller of this request, asking for another action (one that AWS checks on its behalf)."""
    return access_control.IAMRequest(
        account_id=response.current_account,
        method=response.method,
        path=response.raw_path,
        data=response.data,
        body=response.raw_body,
        headers=response.headers,
        action=action,
    )


def may_get_secret_value(response, arn):
    if not auth_enforced():
        return True
    try:
        iam_request(response, "GetSecretValue").check_action_permitted(arn)
        return True
    except AccessDeniedError:
        return False


original_batch_get = SecretsManagerResponse.batch_get_secret_value


def batch_get_secret_value(self):
    # AWS: "to use this operation with filters, you must have secretsmanager:ListSecrets".
    if self._get_param("Filters") and auth_enforced():
        iam_request(self, "ListSecrets").check_action_permitted("*")
    answer = json.loads(original_batch_get(self))
    allowed = []
    for value in answer.get("SecretValues", []):
        if may_get_secret_value(self, value["ARN"]):
            allowed.append(value)
        else:
            answer.setdefault("Errors", []).append({
                "SecretId": value["Name"],
                "ErrorCode": "AccessDeniedException",
                "Message": f"is not authorized to perform: secretsmanager:GetSecretValue on resource: {value['Name']}",
            })
    answer["SecretValues"] = allowed
    return json.dumps(answer)


SecretsManagerResponse.batch_get_secret_value = batch_get_secret_value


# ---- SSM Parameter Store: per-parameter resources ----

def parameter_arn(response, name):
    """The ARN IAM sees for a parameter name or selector (`/app/db:3` is the parameter /app/db)."""
    bare = name.split(":", 1)[0] if not name.startswith("arn:") else name
    if bare.startswith("arn:"):
        return bare
    return f"arn:{get_partition(response.region)}:ssm:{response.region}:{response.current_account}:parameter/{bare.lstrip('/')}"


def determine_parameter_resource(self):
    # GetParameters is checked on every name it asks for (below); the first one stands for the call.
    names = self._get_param("Names")
    if isinstance(names, list) and names:
        return parameter_arn(self, names[0])
    for key in ("Name", "Path"):
        value = self._get_param(key)
        if isinstance(value, str) and value:
            return parameter_arn(self, value.rstrip("/") or "/")
    return "*"


SimpleSystemManagerResponse._determine_resource = determine_parameter_resource
original_get_parameters = SimpleSystemManagerResponse.get_parameters


def get_parameters(self):
    # AWS authorizes GetParameters on each parameter named, not only on the first.
    if auth_enforced():
        for name in self._get_param("Names") or []:
            iam_request(self, "GetParameters").check_action_permitted(parameter_arn(self, name))
    return original_get_parameters(self)


SimpleSystemManagerResponse.get_parameters = get_parameters


# ---- STS: web identity federation as IAM does it ----

UNSIGNED_STS_ACTIONS = {"AssumeRoleWithWebIdentity"}
original_authenticate = ActionAuthenticatorMixin._authenticate_and_authorize_action


def authenticate(self, iam_request_cls, resource="*"):
    # AssumeRoleWithWebIdentity is called without AWS credentials: the token is the credential.
    if isinstance(self, TokenResponse) and self._get_action() in UNSIGNED_STS_ACTIONS:
        return
    original_authenticate(self, iam_request_cls, resource)


ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate


def b64url(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def invalid_token(message):
    return STSClientError("InvalidIdentityToken", message)


def verified_claims(token):
    """The claims of an RS256 JWT whose signature checks against its issuer's JWKS and that has not expired."""
    try:
        head, body, signature = token.split(".")
        header = json.loads(b64url(head))
        claims = json.loads(b64url(body))
    except (ValueError, UnicodeDecodeError):
        raise invalid_token("The web identity token is not a JWT")
    if header.get("alg") != "RS256":
        raise invalid_token(f"Unsupported token algorithm {header.get('alg')!r}")
    with open(os.environ["MOTO_IAM_OIDC_JWKS"], encoding="utf-8") as jwks_file:
        jwks = json.load(jwks_file).get(claims.get("iss"))
    if jwks is None:
        raise invalid_token(f"No OpenIDConnect provider found in your account for {claims.get('iss')}")
    keys = [k for k in jwks.get("keys", []) if k.get("kty") == "RSA" and k.get("kid") == header.get("kid")]
    if not keys:
        raise invalid_token("The token's key id is not in its issuer's JWKS")
    public_key = rsa.RSAPublicNumbers(
        int.from_bytes(b64url(keys[0]["e"]), "big"), int.from_bytes(b64url(keys[0]["n"]), "big")
    ).public_key()
    try:
        public_key.verify(b64url(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise invalid_token("The token's signature does not verify")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= time.time():
        raise STSClientError("ExpiredTokenException", "Token expired")
    return claims


def provider_for(iam, claims):
    """The IAM OIDC provider of the token's issuer, which must list the token's audience as a client id."""
    issuer = claims["iss"].removeprefix("https://")
    provider = next((p for p in iam.open_id_providers.values() if p.url == issuer), None)
    if provider is None:
        raise invalid_token(f"No OpenIDConnect provider found in your account for {claims['iss']}")
    if not any(a in provider.client_id_list for a in as_list(claims.get("aud"))):
        raise invalid_token("Incorrect token audience")
    return provider


def trust_allows(role, provider, claims):
    context = {f"{provider.url}:sub": claims.get("sub"), f"{provider.url}:aud": claims.get("aud")}
    statements = json.loads(role.assume_role_policy_document).get("Statement", [])
    for statement in as_list(statements):
        if statement.get("Effect") != "Allow":
            continue
        if "sts:AssumeRoleWithWebIdentity" not in as_list(statement.get("Action", [])):
            continue
        if provider.arn not in as_list(statement.get("Principal", {}).get("Federated", [])):
            continue
        if all(
            condition_holds(operator, expected, context.get(key))
            for operator, pairs in statement.get("Condition", {}).items()
            for key, expected in pairs.items()
        ):
            return True
    return False


original_assume_web = TokenResponse.assume_role_with_web_identity


def assume_role_with_web_identity(self):
    if auth_enforced():
        claims = verified_claims(self._get_param("WebIdentityToken") or "")
        iam = iam_backends[self.current_account][get_partition(self.region)]
        provider = provider_for(iam, claims)
        role_arn = self._get_param("RoleArn")
        try:
            role = iam.get_role_by_arn(role_arn)
        except Exception:
            raise STSClientError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        if not trust_allows(role, provider, claims):
            raise STSClientError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    return original_assume_web(self)


TokenResponse.assume_role_with_web_identity = assume_role_with_web_identity

if __name__ == "__main__":
    server.main()
