{{/* Names and labels shared by the templates. */}}

{{- define "migctl.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride -}}
{{- end -}}

{{- define "migctl.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "migctl.labels" -}}
{{ include "migctl.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "migctl.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "migctl.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "migctl.image" -}}
{{- printf "%s:%s" (required "agent.image.repository is required" .Values.agent.image.repository) (default .Chart.AppVersion .Values.agent.image.tag) -}}
{{- end -}}

{{- define "migctl.configName" -}}
{{- required "migManager.config.name is required" .Values.migManager.config.name -}}
{{- end -}}

{{- define "migctl.gpuClientsName" -}}
{{- required "migManager.gpuClients.name is required" .Values.migManager.gpuClients.name -}}
{{- end -}}

{{- /*
The planner's objects. Its pods carry app.kubernetes.io/name <chart>-planner,
not <chart>: the agent's DaemonSet selector, metrics Service and
ServiceMonitor select name=<chart> + instance, and must not pick the planner
up (the DaemonSet's selector cannot change on upgrade).
*/}}
{{- define "migctl.planner.fullname" -}}
{{- printf "%s-planner" (include "migctl.fullname" .) -}}
{{- end -}}

{{- define "migctl.planner.selectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-planner" .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: planner
{{- end -}}

{{- define "migctl.planner.labels" -}}
{{ include "migctl.planner.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "migctl.planner.serviceAccountName" -}}
{{- if .Values.planner.serviceAccount.create -}}
{{- default (include "migctl.planner.fullname" .) .Values.planner.serviceAccount.name -}}
{{- else -}}
{{- required "planner.serviceAccount.name is required when planner.serviceAccount.create is false" .Values.planner.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- /* The ConfigMap the planner owns (it creates it, not the chart). */}}
{{- define "migctl.planner.configMapName" -}}
{{- default (printf "%s-config" (include "migctl.planner.fullname" .)) .Values.planner.configMap -}}
{{- end -}}
