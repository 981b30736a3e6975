{{/*
The ConfigMaps the init containers read (YAML documents, each starting with `---`): the
tools' generated config files and, unless an existing one is named, the render-config
templates. Include once at the top level of a template file.
*/}}
{{- define "init-toolkit.configMaps" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- if include "init-toolkit.hasToolConfig" . }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "init-toolkit.resourceName" (list . "tool-config") }}
  labels:
    {{- include "init-toolkit.labels" . | nindent 4 }}
data:
  {{- range $name, $tool := $cfg.tools }}
  {{- if and $tool.enabled $tool.config }}
  {{ $name }}.yaml: |
    {{- toYaml $tool.config | nindent 4 }}
  {{- end }}
  {{- end }}
{{- end }}
{{- if and (include "init-toolkit.volumeUsed" (list . "templates")) (not $cfg.templates.existingConfigMap) }}
{{- if not $cfg.templates.files }}
{{- fail "init-toolkit: render-config is enabled but has no templates: set initToolkit.templates.files or initToolkit.templates.existingConfigMap" }}
{{- end }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "init-toolkit.resourceName" (list . "templates") }}
  labels:
    {{- include "init-toolkit.labels" . | nindent 4 }}
data:
  {{- range $file, $content := $cfg.templates.files }}
  {{ $file | quote }}: {{ $content | quote }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
Pod annotation with a hash of the generated ConfigMaps, so a change of a tool's config or
of a template rolls the pods (init containers only run when a pod starts). 32 hex digits are plenty
to detect a change, and `podman kube play` refuses annotation values longer than 63 characters.
*/}}
{{- define "init-toolkit.podAnnotations" -}}
checksum/init-toolkit: {{ include "init-toolkit.configMaps" . | sha256sum | trunc 32 }}
{{- end -}}
