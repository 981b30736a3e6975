{{/*
The library's configuration: the consumer's `initToolkit` values (the dependency's alias,
coalesced by Helm with this chart's values.yaml), or `init-toolkit` without an alias.
Returned as JSON; callers use `fromJson`.
*/}}
{{- define "init-toolkit.cfg" -}}
{{- $cfg := .Values.initToolkit | default (index .Values "init-toolkit") -}}
{{- if not $cfg -}}
{{- fail "init-toolkit: no values found: add the library to Chart.yaml dependencies with `alias: initToolkit` and run `helm dependency build`" -}}
{{- end -}}
{{- toJson $cfg -}}
{{- end -}}

{{/* The library chart's own appVersion: the default tag of the tool images. */}}
{{- define "init-toolkit.appVersion" -}}
{{- $sub := .Subcharts.initToolkit | default (index .Subcharts "init-toolkit") -}}
{{- if $sub -}}{{ $sub.Chart.AppVersion }}{{- else -}}{{ .Chart.AppVersion }}{{- end -}}
{{- end -}}

{{/* Env var prefix of a tool: `wait-for-db` -> `WAIT_FOR_DB`. */}}
{{- define "init-toolkit.envPrefix" -}}
{{- . | replace "-" "_" | upper -}}
{{- end -}}

{{/* Env var of a tool's flag: (list "wait-for-db" "secrets-dir") -> `WAIT_FOR_DB_SECRETS_DIR`. */}}
{{- define "init-toolkit.flagEnv" -}}
{{- printf "%s_%s" (include "init-toolkit.envPrefix" (index . 0)) (index . 1 | replace "-" "_" | upper) -}}
{{- end -}}
