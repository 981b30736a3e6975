{{/*
Image reference of a tool: registry/repository@digest when a digest is set (it wins: the
reference is immutable), else registry/repository:tag, the tag defaulting to the library
chart's appVersion. Called with (dict "root" $ "image" $tool.image).
*/}}
{{- define "init-toolkit.image" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $image := .image -}}
{{- $registry := $image.registry | default $cfg.image.registry -}}
{{- $repository := required "init-toolkit: an image repository is required" $image.repository -}}
{{- $name := ternary (printf "%s/%s" $registry $repository) $repository (ne $registry "") -}}
{{- if $image.digest -}}
{{- if not (regexMatch "^sha256:[0-9a-f]{64}$" $image.digest) -}}
{{- fail (printf "init-toolkit: image digest %q of %s is not sha256:<64 hex digits>" $image.digest $repository) -}}
{{- end -}}
{{- printf "%s@%s" $name $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $name ($image.tag | default $cfg.image.tag | default (include "init-toolkit.appVersion" .root)) -}}
{{- end -}}
{{- end -}}

{{/* The pod's `imagePullSecrets` items from `imagePullSecrets` (names); empty when none. */}}
{{- define "init-toolkit.imagePullSecrets" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- range $cfg.imagePullSecrets }}
- name: {{ . }}
{{- end }}
{{- end -}}
