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
