{{/*
The `combined` settings of a workload as JSON: `workloads.<name>.combined` merged over `combined`.
Called with (dict "root" $ "workload" W).
*/}}
{{- define "init-toolkit.combined" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $combined := deepCopy ($cfg.combined | default dict) -}}
{{- if .workload -}}
{{- $combined = mergeOverwrite $combined (deepCopy ((index $cfg.workloads .workload).combined | default dict)) -}}
{{- end -}}
{{- toJson $combined -}}
{{- end -}}

{{/*
The one init container that runs all of a workload's steps in order (run-steps). Each step keeps
its own settings: its variables carry the prefix STEP<n>_ (n: its place in the run order, from 1),
which run-steps removes for that step only; LOG_*, `env` and `envFrom` are shared. The variables
Node.js reads once for the whole process (NODE_OPTIONS, NODE_EXTRA_CA_CERTS...) cannot be a step's own. Its templates and
config file are mounted under a directory of its name; a shared volume is mounted once, read-write
when any step writes it. Called with (dict "root" $ "workload" W "steps" STEPS "combined" C).
*/}}
{{- define "init-toolkit.combinedContainer" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $c := .combined -}}
{{- $order := include "init-toolkit.orderedSteps" .steps | fromJsonArray -}}
{{- $where := ternary (printf "workloads.%s.combined" .workload) "combined" (ne .workload "") -}}
{{- $shared := concat (include "init-toolkit.logEnv" .root | fromJsonArray) ($cfg.env | default list) -}}
{{- range $var := $cfg.env | default list -}}
{{- if regexMatch "^(STEP[0-9]+_|RUN_STEPS_)" $var.name -}}
{{- fail (printf "init-toolkit: env %s would be read by run-steps as a step's own setting (%s is on): rename it" $var.name $where) -}}
{{- end -}}
{{- end -}}
{{- $env := $shared -}}
{{- $list := list -}}
{{- range $i, $name := $order -}}
{{- $step := index $.steps $name -}}
{{- range $key := list "image" "pullPolicy" "command" "args" "securityContext" "resources" "envFrom" -}}
{{- if has $key $step.declared -}}
{{- fail (printf "init-toolkit: %s sets `%s`, but %s.enabled runs every step in one container: set it on %s, or turn %s off for these steps" $step.where $key $where $where $where) -}}
{{- end -}}
{{- end -}}
{{- $own := concat (include "init-toolkit.stepSettingsEnv" (dict "root" $.root "step" $step "combined" true) | fromJsonArray) $step.env -}}
{{- include "init-toolkit.checkEnvNames" (dict "env" (concat $shared $own) "where" $step.where) -}}
{{- $ownNames := list -}}{{- range $var := $own -}}{{- $ownNames = append $ownNames $var.name -}}{{- end -}}
{{- range $var := $own -}}
{{- range $ref := regexFindAll "\\$\\([A-Za-z_][A-Za-z0-9_]*\\)" ($var.value | default "") -1 -}}
{{- if has (trimSuffix ")" (trimPrefix "$(" $ref)) $ownNames -}}
{{- fail (printf "init-toolkit: %s: env %s refers to %s, a variable of the step itself: in one combined container it is STEP%d_%s, so Kubernetes would not expand it; write the value out, or move the variable to the shared `env`" $step.where $var.name $ref (add1 $i) (trimSuffix ")" (trimPrefix "$(" $ref))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $var := $own -}}
{{- if has $var.name (list "NODE_OPTIONS" "NODE_EXTRA_CA_CERTS" "NODE_ICU_DATA" "NODE_NO_WARNINGS" "NODE_PENDING_DEPRECATION" "NODE_PRESERVE_SYMLINKS" "NODE_REDIRECT_WARNINGS" "NODE_V8_COVERAGE" "NODE_COMPILE_CACHE" "NODE_USE_ENV_PROXY" "NODE_USE_SYSTEM_CA" "OPENSSL_CONF" "SSL_CERT_FILE" "SSL_CERT_DIR" "UV_THREADPOOL_SIZE" "UV_USE_IO_URING") -}}
{{- fail (printf "init-toolkit: %s sets env %s, which Node.js reads once for the whole process: with %s.enabled set it in `env` (all steps), or turn %s off for this step" $step.where $var.name $where $where) -}}
{{- end -}}
{{- $env = append $env (set (deepCopy $var) "name" (printf "STEP%d_%s" (add1 $i) $var.name)) -}}
{{- end -}}
{{- $list = append $list (printf "%s=%s" $name $step.tool) -}}
{{- end -}}
{{- $env = prepend $env (dict "name" "RUN_STEPS_STEPS" "value" (join "," $list)) -}}
{{- $image := $c.image | default dict -}}
name: {{ $c.name | default "init-toolkit" }}
image: {{ include "init-toolkit.image" (dict "root" .root "image" (dict "registry" ($image.registry | default "") "repository" ($image.repository | default "init-toolkit/run-steps") "tag" ($image.tag | default $cfg.image.tag) "digest" ($image.digest | default ""))) | quote }}
imagePullPolicy: {{ $c.pullPolicy | default $cfg.image.pullPolicy }}
env:
  {{- toYaml $env | nindent 2 }}
{{- with $cfg.envFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with include "init-toolkit.combinedVolumeMounts" (merge (dict "order" $order) .) }}
volumeMounts:
  {{- . | nindent 2 }}
{{- end }}
{{- with $c.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml (mergeOverwrite (deepCopy $cfg.securityContext) ($c.securityContext | default dict)) | nindent 2 }}
terminationMessagePolicy: FallbackToLogsOnError
{{- end -}}

{{/*
The mounts of the combined container: each shared volume a step uses, once (read-write when a
step writes it), each step's templates and config file, and the steps' own `volumeMounts` (the
same mount twice is kept once; two different mounts at one path fail the render). Called with the
container's dict plus "order", the steps in run order.
*/}}
{{- define "init-toolkit.combinedVolumeMounts" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $writes := dict -}}
{{- range $name, $step := .steps -}}
{{- range $key, $mount := $step.mounts -}}
{{- if $mount -}}{{- $_ := set $writes $key (or (index $writes $key | default false) ($mount.write | default false)) -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- $mounts := list -}}
{{- range $key := include "init-toolkit.sharedVolumeKeys" . | fromJsonArray -}}
{{- if hasKey $writes $key -}}
{{- $volume := index $cfg.volumes $key -}}
{{- $mounts = append $mounts (dict "name" $volume.name "mountPath" $volume.mountPath "readOnly" (not (index $writes $key))) -}}
{{- end -}}
{{- end -}}
{{- range $name := .order -}}
{{- $step := index $.steps $name -}}
{{- $mounts = concat $mounts (include "init-toolkit.stepOwnMountsItems" (dict "root" $.root "step" $step "combined" true) | fromYamlArray) -}}
{{- range $mount := $step.volumeMounts -}}
{{- if not (has $mount $mounts) -}}{{- $mounts = append $mounts $mount -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- $paths := dict -}}
{{- range $mount := $mounts -}}
{{- if hasKey $paths $mount.mountPath -}}
{{- fail (printf "init-toolkit: two different mounts at %s in the combined init container (volumes %s and %s): give one another mountPath" $mount.mountPath (index $paths $mount.mountPath) $mount.name) -}}
{{- end -}}
{{- $_ := set $paths $mount.mountPath $mount.name -}}
{{- end -}}
{{- with $mounts }}{{ toYaml . }}{{ end -}}
{{- end -}}

{{/*
The name of the one init container when the workload's steps run combined, else "" (e.g. for
NOTES.txt: `kubectl logs -c` takes it). Called like `init-toolkit.initContainers`.
*/}}
{{- define "init-toolkit.combinedContainerName" -}}
{{- $root := . -}}{{- if and (kindIs "map" .) (hasKey . "root") -}}{{- $root = .root -}}{{- end -}}
{{- $combined := include "init-toolkit.combined" (dict "root" $root "workload" (include "init-toolkit.workload" .)) | fromJson -}}
{{- if $combined.enabled -}}{{ $combined.name | default "init-toolkit" }}{{- end -}}
{{- end -}}
