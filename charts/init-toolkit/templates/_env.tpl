{{/*
A tool's environment, in this order (Kubernetes lets a later duplicate win, so the
chart refuses duplicates instead): LOG_LEVEL/LOG_FORMAT, AWS settings, one variable per
mounted volume that names a flag, the config file, `settings`, then the global and the
tool's own `env` lists; a setting set to null (to remove a default) is skipped.
Called with (dict "root" $ "name" "wait-for-db").
*/}}
{{- define "init-toolkit.toolEnv" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $name := .name -}}
{{- $tool := index $cfg.tools $name -}}
{{- $env := list (dict "name" "LOG_LEVEL" "value" $cfg.log.level) (dict "name" "LOG_FORMAT" "value" $cfg.log.format) -}}
{{- if $tool.aws -}}
{{- with $cfg.aws.region }}{{ $env = append $env (dict "name" "AWS_REGION" "value" .) }}{{ end -}}
{{- with $cfg.aws.endpointUrl }}{{ $env = append $env (dict "name" "AWS_ENDPOINT_URL" "value" .) }}{{ end -}}
{{- end -}}
{{- range $key, $mount := $tool.mounts -}}
{{- if $mount.flag -}}
{{- $env = append $env (dict "name" (include "init-toolkit.flagEnv" (list $name $mount.flag)) "value" (index $cfg.volumes $key).mountPath) -}}
{{- end -}}
{{- end -}}
{{- if $tool.config -}}
{{- $env = append $env (dict "name" (include "init-toolkit.flagEnv" (list $name "config")) "value" (printf "%s/%s.yaml" $cfg.volumes.configFiles.mountPath $name)) -}}
{{- end -}}
{{- range $flag, $value := $tool.settings -}}
{{- if not (kindIs "invalid" $value) -}}
{{- $text := ternary (join "\n" $value) (toString $value) (kindIs "slice" $value) -}}
{{- $env = append $env (dict "name" (include "init-toolkit.flagEnv" (list $name $flag)) "value" $text) -}}
{{- end -}}
{{- end -}}
{{- $env = concat $env ($cfg.env | default list) ($tool.env | default list) -}}
{{- $seen := list -}}
{{- range $var := $env -}}
{{- if has $var.name $seen -}}
{{- fail (printf "init-toolkit: %s sets %s twice (from mounts, config, settings or env); keep one" $name $var.name) -}}
{{- end -}}
{{- $seen = append $seen $var.name -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}
