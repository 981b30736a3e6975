{{/*
Image reference: registry/repository@digest when a digest is set (it wins: the reference is
immutable), else registry/repository:tag, the tag defaulting to the library chart's appVersion.
The registry is `global.imageRegistry` when set (it wins, as in Bitnami charts), else the
image's own, else `image.registry`. Called with (dict "root" $ "image" IMAGE).
*/}}
{{- define "init-toolkit.image" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $global := .root.Values.global | default dict -}}
{{- $image := .image -}}
{{- $registry := $global.imageRegistry | default $image.registry | default $cfg.image.registry -}}
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

{{/*
The pod's `imagePullSecrets` items: `global.imagePullSecrets`, then `imagePullSecrets`, each a
name or {name: ...}, without duplicates; empty when none. Takes the root context.
*/}}
{{- define "init-toolkit.imagePullSecrets" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- $global := .Values.global | default dict -}}
{{- $names := list -}}
{{- range concat ($global.imagePullSecrets | default list) ($cfg.imagePullSecrets | default list) -}}
{{- if kindIs "map" . -}}{{- $names = append $names .name -}}{{- else -}}{{- $names = append $names . -}}{{- end -}}
{{- end -}}
{{- range $names | uniq }}
- name: {{ . | quote }}
{{- end }}
{{- end -}}
