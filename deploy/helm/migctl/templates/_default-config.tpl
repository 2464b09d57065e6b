{{/*
The default configs (config.yaml when migManager.config.data is empty): NVIDIA
mig-parted style, one device-filter per GPU model of migctl's catalogue. Kept
equal to tests/config/testdata/config-default.yaml by tests/deploy.
*/}}
{{- define "migctl.defaultConfig" -}}
# MIG configs in the style of the config-default.yaml NVIDIA ships with
# mig-parted, with a device-filter per GPU model of migctl's catalogue.
version: v1
mig-configs:
  all-disabled:
    - devices: all
      mig-enabled: false

  all-enabled:
    - devices: all
      mig-enabled: true
      mig-devices: {}

  all-1g.5gb:
    # A100-SXM4-40GB
    - device-filter: ["0x20B010DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.5gb": 7

  all-2g.10gb:
    # A100-SXM4-40GB
    - device-filter: ["0x20B010DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "2g.10gb": 3

  all-3g.20gb:
    # A100-SXM4-40GB
    - device-filter: ["0x20B010DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "3g.20gb": 2

  all-4g.20gb:
    # A100-SXM4-40GB
    - device-filter: ["0x20B010DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "4g.20gb": 1

  all-7g.40gb:
    # A100-SXM4-40GB
    - device-filter: ["0x20B010DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "7g.40gb": 1

  all-1g.5gb.me:
    # A100-SXM4-40GB
    - device-filter: ["0x20B010DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.5gb+me": 1

  all-1g.10gb:
    # A100-SXM4-40GB
    - device-filter: ["0x20B010DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.10gb": 4
    # A100-SXM4-80GB, A100-PCIE-80GB, H100-SXM5-80GB, H100-PCIE-80GB
    - device-filter: ["0x20B210DE", "0x20B510DE", "0x233010DE", "0x233110DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.10gb": 7

  all-2g.20gb:
    # A100-SXM4-80GB, A100-PCIE-80GB, H100-SXM5-80GB, H100-PCIE-80GB
    - device-filter: ["0x20B210DE", "0x20B510DE", "0x233010DE", "0x233110DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "2g.20gb": 3

  all-3g.40gb:
    # A100-SXM4-80GB, A100-PCIE-80GB, H100-SXM5-80GB, H100-PCIE-80GB
    - device-filter: ["0x20B210DE", "0x20B510DE", "0x233010DE", "0x233110DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "3g.40gb": 2

  all-4g.40gb:
    # A100-SXM4-80GB, A100-PCIE-80GB, H100-SXM5-80GB, H100-PCIE-80GB
    - device-filter: ["0x20B210DE", "0x20B510DE", "0x233010DE", "0x233110DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "4g.40gb": 1

  all-7g.80gb:
    # A100-SXM4-80GB, A100-PCIE-80GB, H100-SXM5-80GB, H100-PCIE-80GB
    - device-filter: ["0x20B210DE", "0x20B510DE", "0x233010DE", "0x233110DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "7g.80gb": 1

  all-1g.10gb.me:
    # A100-SXM4-80GB, A100-PCIE-80GB, H100-SXM5-80GB, H100-PCIE-80GB
    - device-filter: ["0x20B210DE", "0x20B510DE", "0x233010DE", "0x233110DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.10gb+me": 1

  all-1g.20gb:
    # A100-SXM4-80GB, A100-PCIE-80GB, H100-SXM5-80GB, H100-PCIE-80GB
    - device-filter: ["0x20B210DE", "0x20B510DE", "0x233010DE", "0x233110DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.20gb": 4

  all-1g.6gb:
    # A30-24GB
    - device-filter: ["0x20B710DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.6gb": 4

  all-2g.12gb:
    # A30-24GB
    - device-filter: ["0x20B710DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "2g.12gb": 2

  all-4g.24gb:
    # A30-24GB
    - device-filter: ["0x20B710DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "4g.24gb": 1

  all-1g.6gb.me:
    # A30-24GB
    - device-filter: ["0x20B710DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.6gb+me": 1

  all-2g.12gb.me:
    # A30-24GB
    - device-filter: ["0x20B710DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "2g.12gb+me": 1

  all-1g.12gb:
    # H100-NVL, GH200-96GB
    - device-filter: ["0x232110DE", "0x234210DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.12gb": 7

  all-2g.24gb:
    # H100-NVL, GH200-96GB
    - device-filter: ["0x232110DE", "0x234210DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "2g.24gb": 3

  all-3g.47gb:
    # H100-NVL
    - device-filter: ["0x232110DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "3g.47gb": 2

  all-4g.47gb:
    # H100-NVL
    - device-filter: ["0x232110DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "4g.47gb": 1

  all-7g.94gb:
    # H100-NVL
    - device-filter: ["0x232110DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "7g.94gb": 1

  all-1g.12gb.me:
    # H100-NVL, GH200-96GB
    - device-filter: ["0x232110DE", "0x234210DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.12gb+me": 1

  all-1g.24gb:
    # H100-NVL, GH200-96GB
    - device-filter: ["0x232110DE", "0x234210DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.24gb": 4

  all-1g.18gb:
    # H200
    - device-filter: ["0x233510DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.18gb": 7

  all-2g.35gb:
    # H200
    - device-filter: ["0x233510DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "2g.35gb": 3

  all-3g.71gb:
    # H200
    - device-filter: ["0x233510DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "3g.71gb": 2

  all-4g.71gb:
    # H200
    - device-filter: ["0x233510DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "4g.71gb": 1

  all-7g.141gb:
    # H200
    - device-filter: ["0x233510DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "7g.141gb": 1

  all-1g.18gb.me:
    # H200
    - device-filter: ["0x233510DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.18gb+me": 1

  all-1g.35gb:
    # H200
    - device-filter: ["0x233510DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.35gb": 4

  all-3g.48gb:
    # GH200-96GB
    - device-filter: ["0x234210DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "3g.48gb": 2

  all-4g.48gb:
    # GH200-96GB
    - device-filter: ["0x234210DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "4g.48gb": 1

  all-7g.96gb:
    # GH200-96GB
    - device-filter: ["0x234210DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "7g.96gb": 1

  all-balanced:
    # A100-SXM4-40GB
    - device-filter: "0x20B010DE"
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.5gb": 2
        "2g.10gb": 1
        "3g.20gb": 1

    # A100-SXM4-80GB, A100-PCIE-80GB, H100-SXM5-80GB, H100-PCIE-80GB
    - device-filter: ["0x20B210DE", "0x20B510DE", "0x233010DE", "0x233110DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.10gb": 2
        "2g.20gb": 1
        "3g.40gb": 1

    # A30-24GB
    - device-filter: "0x20B710DE"
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.6gb": 2
        "2g.12gb": 1

    # H100-NVL
    - device-filter: "0x232110DE"
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.12gb": 2
        "2g.24gb": 1
        "3g.47gb": 1

    # H200
    - device-filter: "0x233510DE"
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.18gb": 2
        "2g.35gb": 1
        "3g.71gb": 1

    # GH200-96GB
    - device-filter: "0x234210DE"
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.12gb": 2
        "2g.24gb": 1
        "3g.48gb": 1
{{- end -}}
