module migctl.dev/helmrender

go 1.19
