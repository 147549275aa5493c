# An edge Envoy on Sextant's v3 API: one ADS stream to Sextant's xDS listener (listen.xds) brings
# its listeners, routes, clusters and endpoints. Same routing as edge.nomad.hcl (the v1 job, for
# Envoy <= 1.8), on a current Envoy.
#   curl -H 'Host: web.default.nomad' http://<client>:8080/
# The bootstrap below is envoy-v3-ads.json, which `sextant bootstrap` printed (see README.md);
# a test keeps the two equal. For a Sextant that is not on the client itself, print it again with
# --xds <sextant-host>:15010 and paste it here.

job "edge-v3" {
  datacenters = ["dc1"]
  type        = "service"

  group "edge" {
    count = 1

    task "envoy" {
      driver = "docker"

      config {
        image        = "envoyproxy/envoy:v1.31.2"
        # Host networking: Envoy binds :8080 on the client, and reaches Sextant on 127.0.0.1.
        network_mode = "host"
        command      = "envoy"
        args = [
          "-c", "${NOMAD_TASK_DIR}/envoy.json",
          # The node id with the client's own IP (it replaces node.id of the bootstrap). A router
          # gets Host-header routing on bound ports; the domain makes `web` a short name.
          "--service-node", "router~${attr.unique.network.ip-address}~edge~default.nomad",
        ]
      }

      template {
        destination = "local/envoy.json"
        data        = <<-EOT
          {
            "node": {
              "id": "router~127.0.0.1~edge~default.nomad",
              "cluster": "edge"
            },
            "admin": {
              "address": {
                "socket_address": {
                  "address": "127.0.0.1",
                  "port_value": 15100
                }
              }
            },
            "dynamic_resources": {
              "ads_config": {
                "api_type": "GRPC",
                "transport_api_version": "V3",
                "grpc_services": [
                  {
                    "envoy_grpc": {
                      "cluster_name": "xds_cluster"
                    }
                  }
                ]
              },
              "cds_config": {
                "ads": {},
                "resource_api_version": "V3"
              },
              "lds_config": {
                "ads": {},
                "resource_api_version": "V3"
              }
            },
            "static_resources": {
              "clusters": [
                {
                  "name": "xds_cluster",
                  "type": "STATIC",
                  "connect_timeout": "1s",
                  "typed_extension_protocol_options": {
                    "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                      "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                      "explicit_http_config": {
                        "http2_protocol_options": {}
                      }
                    }
                  },
                  "load_assignment": {
                    "cluster_name": "xds_cluster",
                    "endpoints": [
                      {
                        "lb_endpoints": [
                          {
                            "endpoint": {
                              "address": {
                                "socket_address": {
                                  "address": "127.0.0.1",
                                  "port_value": 15010
                                }
                              }
                            }
                          }
                        ]
                      }
                    ]
                  }
                }
              ]
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
