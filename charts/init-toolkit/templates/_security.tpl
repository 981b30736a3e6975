{{/* Pod securityContext (restricted profile by default). Include under `spec.securityContext`. */}}
{{- define "init-toolkit.podSecurityContext" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- toYaml $cfg.podSecurityContext -}}
{{- end -}}

{{/* Container securityContext of the init containers; a main container may reuse it. */}}
{{- define "init-toolkit.containerSecurityContext" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- toYaml $cfg.securityContext -}}
{{- end -}}
