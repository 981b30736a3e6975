{{/*
Service account annotations. With IRSA, `serviceAccount.roleArn` becomes
`eks.amazonaws.com/role-arn`: the EKS pod identity webhook then injects AWS_ROLE_ARN,
AWS_WEB_IDENTITY_TOKEN_FILE and the projected token volume into every container, init
containers included, and the SDK's default chain picks them up. With EKS Pod Identity no
annotation is needed: the association (cluster, namespace, service account -> role) is made
with `aws eks create-pod-identity-association`, and the agent injects
AWS_CONTAINER_CREDENTIALS_FULL_URI, which the same default chain reads.
*/}}
{{- define "init-toolkit.serviceAccountAnnotations" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- $annotations := deepCopy ($cfg.serviceAccount.annotations | default dict) -}}
{{- with $cfg.serviceAccount.roleArn -}}
{{- if not (regexMatch "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$" .) -}}
{{- fail (printf "init-toolkit: serviceAccount.roleArn %q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)" .) -}}
{{- end -}}
{{- $_ := set $annotations "eks.amazonaws.com/role-arn" . -}}
{{- end -}}
{{- if $annotations -}}{{- toYaml $annotations -}}{{- end -}}
{{- end -}}
