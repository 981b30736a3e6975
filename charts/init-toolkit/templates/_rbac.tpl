{{/*
The Kubernetes objects that a workload's wait-for-db steps wait for: their k8s:// targets (in `args`,
else `settings.targets`, else `config.targets`, as the tool reads them; a list, or one string as
WAIT_FOR_DB_TARGETS takes it), as
JSON {namespace: {kind: [names]}}. A target without ?namespace= is in the release's namespace (the
pod's own, which wait-for-db defaults to). Called with (dict "root" $ "workload" W).
*/}}
{{- define "init-toolkit.kubernetesTargets" -}}
{{- $root := .root -}}
{{- $steps := include "init-toolkit.steps" (dict "root" $root "workload" .workload) | fromJson -}}
{{- $found := dict -}}
{{- range $stepName, $step := $steps -}}
{{- if eq $step.tool "wait-for-db" -}}
{{- /* Where the tool reads its targets from, first found wins: arguments, then settings (env), then config. */ -}}
{{- $texts := list -}}
{{- range $arg := $step.args -}}
{{- if regexMatch "^(?:[a-z0-9-]+=)?[a-zA-Z][a-zA-Z0-9+.-]*://" (toString $arg) -}}{{- $texts = append $texts $arg -}}{{- end -}}
{{- end -}}
{{- if not $texts -}}
{{- $source := $step.settings.targets | default $step.config.targets -}}
{{- if kindIs "slice" $source -}}
{{- $texts = $source -}}
{{- else if $source -}}
{{- /* Split only where a new URL starts, as the tool does: a selector holds commas. */ -}}
{{- $texts = regexReplaceAll "[\\s,]+((?:[a-z0-9-]+=)?[a-zA-Z][a-zA-Z0-9+.-]*://)" (toString $source) "\n${1}" | splitList "\n" -}}
{{- end -}}
{{- end -}}
{{- range $text := $texts -}}
{{- $url := regexReplaceAll "^\\s*(?:[a-z0-9-]+=)?" (toString $text) "" | trim -}}
{{- if hasPrefix "k8s://" $url -}}
{{- $rest := trimPrefix "k8s://" $url -}}
{{- $query := "" -}}
{{- if contains "?" $rest -}}{{- $query = regexReplaceAll "^[^?]*\\?" $rest "" -}}{{- $rest = regexReplaceAll "\\?.*$" $rest "" -}}{{- end -}}
{{- $kind := regexReplaceAll "/.*$" $rest "" -}}
{{- $name := ternary (regexReplaceAll "^[^/]*/" $rest "") "" (contains "/" $rest) -}}
{{- if not (has $kind (list "job" "deployment" "service" "pods")) -}}
{{- fail (printf "init-toolkit: %s: %q: the kinds of k8s:// targets are job, deployment, service and pods (k8s://job/NAME, k8s://pods?selector=app%%3Ddb)" $step.where $url) -}}
{{- end -}}
{{- $namespace := regexReplaceAll "^(?:.*&)?namespace=([^&#]*).*$" (ternary $query "" (regexMatch "(^|&)namespace=" $query)) "${1}" | default $root.Release.Namespace -}}
{{- $kinds := index $found $namespace | default dict -}}
{{- $_ := set $kinds $kind (append (index $kinds $kind | default list) $name | compact | uniq | sortAlpha) -}}
{{- $_ := set $found $namespace $kinds -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $found -}}
{{- end -}}

{{/*
"true" when a workload's pod needs a ServiceAccount token (a wait-for-db step has k8s:// targets), else
empty: put `automountServiceAccountToken: true` in the pod spec then (a ServiceAccount may default to
false). Called like `init-toolkit.initContainers`.
*/}}
{{- define "init-toolkit.needsServiceAccountToken" -}}
{{- $root := . -}}{{- if and (kindIs "map" .) (hasKey . "root") -}}{{- $root = .root -}}{{- end -}}
{{- if include "init-toolkit.kubernetesTargets" (dict "root" $root "workload" (include "init-toolkit.workload" .)) | fromJson -}}true{{- end -}}
{{- end -}}

{{/*
A Role and a RoleBinding in each namespace that a workload's k8s:// targets name, granting the pod's
ServiceAccount exactly the requests wait-for-db makes: get of the named Jobs and Deployments, list of
pods (k8s://pods) and of EndpointSlices (k8s://service). Nothing when `rbac.create` is false or there is
no k8s:// target. Called with (dict "root" $ "workload" W "serviceAccountName" NAME); YAML documents.
*/}}
{{- define "init-toolkit.rbac" -}}
{{- $root := .root -}}
{{- $cfg := include "init-toolkit.cfg" $root | fromJson -}}
{{- if not .serviceAccountName -}}
{{- fail "init-toolkit.rbac: pass the pod's service account: (dict \"root\" $ \"workload\" \"\" \"serviceAccountName\" NAME)" -}}
{{- end -}}
{{- $targets := include "init-toolkit.kubernetesTargets" (dict "root" $root "workload" (.workload | default "")) | fromJson -}}
{{- if and ($cfg.rbac | default dict).create $targets -}}
{{- $name := include "init-toolkit.resourceName" (list $root (include "init-toolkit.workloadSuffix" (list (.workload | default "") "wait-for-db"))) -}}
{{- range $namespace, $kinds := $targets }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ $name }}
  namespace: {{ $namespace }}
  labels:
    {{- include "init-toolkit.labels" $root | nindent 4 }}
rules:
  {{- with $kinds.job }}
  - apiGroups: ["batch"]
    resources: ["jobs"]
    verbs: ["get"]
    resourceNames: {{ toJson . }}
  {{- end }}
  {{- with $kinds.deployment }}
  - apiGroups: ["apps"]
    resources: ["deployments"]
    verbs: ["get"]
    resourceNames: {{ toJson . }}
  {{- end }}
  {{- if hasKey $kinds "pods" }}
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["list"]
  {{- end }}
  {{- if hasKey $kinds "service" }}
  - apiGroups: ["discovery.k8s.io"]
    resources: ["endpointslices"]
    verbs: ["list"]
  {{- end }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ $name }}
  namespace: {{ $namespace }}
  labels:
    {{- include "init-toolkit.labels" $root | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ $name }}
subjects:
  - kind: ServiceAccount
    name: {{ $.serviceAccountName }}
    namespace: {{ $root.Release.Namespace }}
{{- end }}
{{- end -}}
{{- end -}}
