{{/*
The enabled tools in the order their init containers run, as a JSON list of names.
A tool runs after every tool in its `dependsOn`; among the tools whose dependencies have
all run, the lowest `order` (then the name) goes next. Unknown or disabled dependencies
and dependency cycles fail the render with a message naming the tools.
*/}}
{{- define "init-toolkit.orderedTools" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- $enabled := list -}}
{{- range $name, $tool := $cfg.tools -}}
{{- if $tool.enabled -}}{{- $enabled = append $enabled $name -}}{{- end -}}
{{- end -}}
{{- range $name := $enabled -}}
{{- range $dep := (index $cfg.tools $name).dependsOn -}}
{{- if not (has $dep $enabled) -}}
{{- fail (printf "init-toolkit: tools.%s.dependsOn names %q, which is not an enabled tool (enabled: %s)" $name $dep (join ", " $enabled)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $placed := list -}}
{{- range $round := until (len $enabled) -}}
{{- $ready := list -}}
{{- range $name := $enabled -}}
{{- if not (has $name $placed) -}}
{{- $waiting := false -}}
{{- range $dep := (index $cfg.tools $name).dependsOn -}}
{{- if not (has $dep $placed) -}}{{- $waiting = true -}}{{- end -}}
{{- end -}}
{{- if not $waiting -}}
{{- $ready = append $ready (printf "%06d/%s" (int (index $cfg.tools $name).order) $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not $ready -}}
{{- $left := list -}}
{{- range $name := $enabled -}}{{- if not (has $name $placed) -}}{{- $left = append $left $name -}}{{- end -}}{{- end -}}
{{- fail (printf "init-toolkit: tools.*.dependsOn forms a cycle among %s" (join ", " $left)) -}}
{{- end -}}
{{- $placed = append $placed (index (sortAlpha $ready) 0 | splitList "/" | last) -}}
{{- end -}}
{{- toJson $placed -}}
{{- end -}}
