{{/*
The step names in the order their init containers run, as a JSON list. A step runs after every
step in its `dependsOn`; among the steps whose dependencies have all run, the lowest `order`
(then the name) goes next (Kahn's algorithm:
https://en.wikipedia.org/wiki/Topological_sorting#Kahn's_algorithm). Unknown dependencies and
cycles fail the render. Called with the steps of `init-toolkit.steps` (parsed).
*/}}
{{- define "init-toolkit.orderedSteps" -}}
  {{- $steps := . -}}

  {{- range $name, $step := $steps -}}
    {{- range $dep := $step.dependsOn -}}
      {{- if not (hasKey $steps $dep) -}}
        {{- fail (printf "init-toolkit: %s.dependsOn names %q, which is not a step here (steps: %s)" $step.where $dep (keys $steps | sortAlpha | join ", ")) -}}
      {{- end -}}
    {{- end -}}
  {{- end -}}

  {{- /* One step placed per round: of the steps whose dependencies are placed, the first by order, then name. */ -}}
  {{- $placed := list -}}
  {{- range $round := until (len $steps) -}}
    {{- $ready := list -}}
    {{- range $name, $step := $steps -}}
      {{- if not (has $name $placed) -}}
        {{- $waiting := false -}}
        {{- range $dep := $step.dependsOn -}}
          {{- if not (has $dep $placed) -}}
            {{- $waiting = true -}}
          {{- end -}}
        {{- end -}}
        {{- if not $waiting -}}
          {{- $ready = append $ready (printf "%06d/%s" (int $step.order) $name) -}}
        {{- end -}}
      {{- end -}}
    {{- end -}}

    {{- if not $ready -}}
      {{- $left := list -}}
      {{- range $name, $step := $steps -}}
        {{- if not (has $name $placed) -}}
          {{- $left = append $left $name -}}
        {{- end -}}
      {{- end -}}
      {{- fail (printf "init-toolkit: dependsOn forms a cycle among the steps %s" (join ", " $left)) -}}
    {{- end -}}

    {{- $placed = append $placed (index (sortAlpha $ready) 0 | splitList "/" | last) -}}
  {{- end -}}

  {{- toJson $placed -}}
{{- end -}}
