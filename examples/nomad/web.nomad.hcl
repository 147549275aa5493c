# One service, `web`, registered with Nomad's native service discovery (Nomad 1.3+, no Consul):
# two allocations of version v1 and one of v2. Each allocation gets a dynamic port; Sextant
# serves every allocation's own address and port as an instance of web.default.nomad|http, and
# turns the tags into labels Envoy can select on: web.default.nomad|http|version=v2 is the v2 one.

job "web" {
  datacenters = ["dc1"]
  type        = "service"

  group "v1" {
    count = 2

    network {
      port "http" {}
    }

    # Nomad keeps no health in these registrations: an allocation is served while it is
    # registered. Deregister first and stop a little later, so the Envoys drain it before it goes.
    shutdown_delay = "5s"

    service {
      provider = "nomad"
      name     = "web"
      port     = "http"
      # protocol= names the mesh port (…|http); other key=value tags become labels; a plain tag
      # `t` becomes the label tag.t=true. A `port=` tag would set the port clients dial.
      tags = ["protocol=http", "version=v1"]
    }

    task "server" {
      driver = "docker"

      config {
        image = "hashicorp/http-echo:0.2.3"
        args  = ["-listen=:${NOMAD_PORT_http}", "-text=web v1 ${NOMAD_ALLOC_ID}"]
        ports = ["http"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }

  group "v2" {
    count = 1

    network {
      port "http" {}
    }

    shutdown_delay = "5s"

    service {
      provider = "nomad"
      name     = "web"
      port     = "http"
      tags     = ["protocol=http", "version=v2"]
    }

    task "server" {
      driver = "docker"

      config {
        image = "hashicorp/http-echo:0.2.3"
        args  = ["-listen=:${NOMAD_PORT_http}", "-text=web v2 ${NOMAD_ALLOC_ID}"]
        ports = ["http"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
