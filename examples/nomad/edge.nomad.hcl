# An edge Envoy, configured by Sextant: it binds one HTTP listener per service port (8080 here,
# servicePort in sextant.yaml) and routes by Host header to the allocations Nomad registered.
#   curl -H 'Host: web.default.nomad' http://<client>:8080/
# Envoy's v1 API (what Sextant serves over REST) was removed after Envoy 1.8, hence the image.

variable "sextant" {
  description = "host:port of Sextant's discovery listener, as seen from the Nomad client"
  default     = "127.0.0.1:15003"
}

job "edge" {
  datacenters = ["dc1"]
  type        = "service"

  group "edge" {
    count = 1

    task "envoy" {
      driver = "docker"

      config {
        image        = "envoyproxy/envoy:v1.8.0"
        # Host networking: Envoy binds :8080 on the client, and reaches Sextant on 127.0.0.1.
        network_mode = "host"
        command      = "envoy"
        args = [
          "-c", "${NOMAD_TASK_DIR}/envoy.json",
          "--service-cluster", "edge",
          # A router gets Host-header routing on bound ports; the domain makes `web` a short name.
          "--service-node", "router~${attr.unique.network.ip-address}~edge~default.nomad",
        ]
      }

      template {
        destination = "local/envoy.json"
        data        = <<-EOT
          {
            "listeners": [],
            "lds": { "cluster": "lds", "refresh_delay_ms": 1000 },
            "admin": { "access_log_path": "/dev/null", "address": "tcp://127.0.0.1:15100" },
            "cluster_manager": {
              "clusters": [
                { "name": "rds", "type": "strict_dns", "connect_timeout_ms": 1000, "lb_type": "round_robin",
                  "hosts": [{ "url": "tcp://${var.sextant}" }] },
                { "name": "lds", "type": "strict_dns", "connect_timeout_ms": 1000, "lb_type": "round_robin",
                  "hosts": [{ "url": "tcp://${var.sextant}" }] }
              ],
              "sds": {
                "cluster": { "name": "sds", "type": "strict_dns", "connect_timeout_ms": 1000, "lb_type": "round_robin",
                             "hosts": [{ "url": "tcp://${var.sextant}" }] },
                "refresh_delay_ms": 1000
              },
              "cds": {
                "cluster": { "name": "cds", "type": "strict_dns", "connect_timeout_ms": 1000, "lb_type": "round_robin",
                             "hosts": [{ "url": "tcp://${var.sextant}" }] },
                "refresh_delay_ms": 1000
              }
            }
          }
        EOT
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
