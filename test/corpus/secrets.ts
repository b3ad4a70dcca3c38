/**
 * Positive cases for secret/*: credentials written into Nix sources, in the
 * places and styles people actually put them.
 */
import { fake } from "./fake.js";
import { labelled } from "./label.js";
import type { LabelledCase } from "./types.js";

const sshKey = fake.opensshPrivateKeyLines();
const ecKey = fake.ecPrivateKeyLines();

/** PEM lines re-indented for a '' string, the marker on the BEGIN line covering the whole block. */
function pemLines(lines: readonly string[], indent: string, rule: string): string {
  const [first, ...rest] = lines;
  return [`${first ?? ""} «${rule}+${rest.length}»`, ...rest].join("\n" + indent);
}

export const SECRET_CASES: LabelledCase[] = [
  labelled("grafana service-account token and a dashboard URL with auth_token", "hosts/mon-1/kiosk.nix", `
    { pkgs, ... }:
    {
      services.cage.program = "\${pkgs.firefox}/bin/firefox --kiosk https://grafana.acme.dev/d/ops?kiosk&auth_token=${"Zk" + "3Lm9Qz7Rt2Vw8Xy4Pq"}"; «secret/url-query-token»
      systemd.services.grafana-sync.environment.GRAFANA_TOKEN = "${"gl" + "sa_" + "Q8zK2mLx9TbV4nRw7YcP1dJf6HsE3gAu"}_0a1b2c3d"; «secret/grafana-token»
    }
  `),

  labelled("aws keys in a restic unit environment", "hosts/web-1/backup.nix", `
    { config, pkgs, ... }:
    {
      services.restic.backups.s3 = {
        initialize = true;
        repository = "s3:s3.eu-central-1.amazonaws.com/acme-backups/\${config.networking.hostName}";
        passwordFile = config.sops.secrets.restic-password.path;
        paths = [ "/var/lib" "/home" ];
        timerConfig.OnCalendar = "daily";
      };

      systemd.services.restic-backups-s3.environment = {
        AWS_ACCESS_KEY_ID = "${fake.awsAccessKeyId()}"; «secret/aws-access-key»
        AWS_SECRET_ACCESS_KEY = "${fake.awsSecretAccessKey()}"; «secret/aws-secret-key»
      };
    }
  `),

  labelled("aws credentials file in rclone.conf under environment.etc", "hosts/nas/rclone.nix", `
    { pkgs, ... }:
    {
      environment.systemPackages = [ pkgs.rclone ];
      environment.etc."rclone/rclone.conf" = {
        mode = "0400";
        text = '' «store-leak/etc-text-secret+7»
          [wasabi]
          type = s3
          provider = Wasabi
          access_key_id = ${fake.awsAccessKeyId()} «secret/aws-access-key»
          secret_access_key = ${fake.awsSecretAccessKey()} «secret/aws-secret-key»
          endpoint = s3.eu-central-2.wasabisys.com
        '';
      };
    }
  `),

  labelled("google maps key in an oci container environment", "hosts/app-2/geocoder.nix", `
    { ... }:
    {
      virtualisation.oci-containers.backend = "podman";
      virtualisation.oci-containers.containers.geocoder = {
        image = "ghcr.io/acme/geocoder:1.4.2";
        ports = [ "127.0.0.1:8088:8080" ];
        environment = {
          GOOGLE_MAPS_API_KEY = "${fake.gcpApiKey()}"; «secret/gcp-api-key»
          LOG_LEVEL = "info";
        };
      };
    }
  `),

  labelled("service-account json pasted into environment.etc", "hosts/ci-runner/gcloud.nix", `
    { pkgs, ... }:
    {
      environment.etc."gcloud/ci-deployer.json" = {
        mode = "0440";
        group = "gitlab-runner";
        text = '' «store-leak/etc-text-secret+10»
          {
            "type": "service_account",
            "project_id": "acme-prod-4711",
            "private_key_id": "${fake.gitRev()}",
            "private_key": "${fake.gcpPrivateKeyJson()}", «secret/gcp-service-account»
            "client_email": "ci-deployer@acme-prod-4711.iam.gserviceaccount.com",
            "client_id": "104829384729384729384",
            "token_uri": "https://oauth2.googleapis.com/token"
          }
        '';
      };
      environment.variables.GOOGLE_APPLICATION_CREDENTIALS = "/etc/gcloud/ci-deployer.json";
    }
  `),

  labelled("service-account key rendered with builtins.toJSON", "modules/gcs-fuse.nix", `
    { config, lib, pkgs, ... }:
    let
      cfg = config.acme.gcsfuse;
    in
    {
      options.acme.gcsfuse.enable = lib.mkEnableOption "mount the assets bucket with gcsfuse";

      config = lib.mkIf cfg.enable {
        environment.etc."gcsfuse/key.json".text = builtins.toJSON { «store-leak/etc-text-secret+7»
          type = "service_account";
          project_id = "acme-assets";
          private_key_id = "${fake.gitRev()}";
          private_key = "${fake.gcpPrivateKeyJson()}"; «secret»
          client_email = "gcsfuse@acme-assets.iam.gserviceaccount.com";
          token_uri = "https://oauth2.googleapis.com/token";
        };
        fileSystems."/srv/assets" = {
          device = "acme-assets";
          fsType = "gcsfuse";
          options = [ "key_file=/etc/gcsfuse/key.json" "allow_other" ];
        };
      };
    }
  `),

  labelled("azure storage connection string for a log shipper", "hosts/logs-1/vector.nix", `
    { pkgs, ... }:
    {
      systemd.services.log-shipper = {
        description = "ship journald to Azure blob storage";
        wantedBy = [ "multi-user.target" ];
        serviceConfig = {
          ExecStart = "\${pkgs.vector}/bin/vector --config /etc/vector/vector.toml";
          DynamicUser = true;
        };
        environment.AZURE_STORAGE_CONNECTION_STRING =
          "DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey=${fake.azureAccountKey()};EndpointSuffix=core.windows.net"; «secret/azure-key»
      };
    }
  `),

  labelled("azure service bus SharedAccessKey in vector sink settings", "hosts/logs-1/servicebus.nix", `
    { ... }:
    {
      services.vector = {
        enable = true;
        journaldAccess = true;
        settings.sinks.events = {
          type = "azure_monitor_logs";
          inputs = [ "journald" ];
          connection_string = "Endpoint=sb://acme-events.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${fake.azureSharedAccessKey()}"; «secret/azure-key ?store-leak/service-secret-option»
        };
      };
    }
  `),

  labelled("github token in nix access-tokens via extraOptions", "modules/nix/private-inputs.nix", `
    { lib, ... }:
    {
      nix.extraOptions = ''
        !include /etc/nix/extra.conf
        access-tokens = github.com=${fake.githubPat()} «secret/github-token»
      '';
      nix.settings.experimental-features = [ "nix-command" "flakes" ];
    }
  `),

  labelled("fine-grained github token in a git insteadOf url", "home/alice/git.nix", `
    { ... }:
    {
      programs.git = {
        enable = true;
        userName = "Alice Liddell";
        userEmail = "alice@acme.dev";
        extraConfig = {
          init.defaultBranch = "main";
          url."https://oauth2:${fake.githubFineGrained()}@github.com/acme/".insteadOf = "https://github.com/acme/"; «secret/github-token ?secret/url-password»
        };
      };
    }
  `),

  labelled("github app token left in a commented-out line", "hosts/build-1/runners.nix", `
    { config, ... }:
    {
      services.github-runners.build-1 = {
        enable = true;
        url = "https://github.com/acme";
        # tokenFile = pkgs.writeText "token" "${fake.githubApp()}"; «secret/github-token»
        tokenFile = config.age.secrets.github-runner.path;
        extraLabels = [ "nixos" "x86_64" ];
      };
    }
  `),

  labelled("gitlab runner registration file built with writeText", "hosts/ci-runner/gitlab-runner.nix", `
    { pkgs, ... }:
    {
      services.gitlab-runner = {
        enable = true;
        services.nix = {
          executor = "docker";
          dockerImage = "alpine";
          registrationConfigFile = pkgs.writeText "gitlab-runner-registration" '' «store-leak/write-text-secret»
            CI_SERVER_URL=https://gitlab.acme.dev
            REGISTRATION_TOKEN=${fake.gitlabRunner()} «secret/gitlab-token»
          '';
        };
      };
    }
  `),

  labelled("gitlab PAT in nix.settings.access-tokens list", "modules/nix/settings.nix", `
    { lib, ... }:
    {
      nix.settings = {
        auto-optimise-store = true;
        access-tokens = [ "gitlab.acme.dev=PAT:${fake.gitlabPat()}" ]; «secret/gitlab-token»
      };
    }
  `),

  labelled("slack bot token in a deploy notifier unit", "hosts/deploy/notifier.nix", `
    { pkgs, ... }:
    {
      systemd.services.deploy-notifier = {
        after = [ "network-online.target" ];
        wants = [ "network-online.target" ];
        environment = {
          SLACK_CHANNEL = "#deploys";
          SLACK_BOT_TOKEN = "${fake.slackBot()}"; «secret/slack-token»
        };
        script = "\${pkgs.curl}/bin/curl -sf https://deploy.acme.dev/hook";
      };
    }
  `),

  labelled("slack webhook as alertmanager receiver", "hosts/monitor/alertmanager.nix", `
    { ... }:
    {
      services.prometheus.alertmanager = {
        enable = true;
        configuration = {
          route = {
            receiver = "slack";
            group_by = [ "alertname" "instance" ];
          };
          receivers = [
            {
              name = "slack";
              slack_configs = [
                {
                  api_url = "${fake.slackWebhook()}"; «secret/slack-webhook»
                  channel = "#alerts";
                  send_resolved = true;
                }
              ];
            }
          ];
        };
      };
    }
  `),

  labelled("discord bot token in matrix-appservice-discord settings", "hosts/matrix/discord-bridge.nix", `
    { lib, ... }:
    with lib;
    {
      services.matrix-appservice-discord = {
        enable = true;
        settings = {
          bridge.domain = "matrix.acme.dev";
          auth = {
            clientID = "1029384756102938475";
            botToken = "${fake.discordBot()}"; «secret/discord-token ?store-leak/service-secret-option»
          };
        };
      };
    }
  `),

  labelled("discord webhook in alertmanager webhook_configs", "hosts/monitor/discord.nix", `
    { ... }:
    {
      services.prometheus.alertmanager.configuration.receivers = [
        {
          name = "discord";
          discord_configs = [ { webhook_url = "${fake.discordWebhook()}"; } ]; «secret/discord-webhook»
        }
      ];
    }
  `),

  labelled("stripe key in a let binding used by a unit", "hosts/shop/api.nix", `
    { pkgs, ... }:
    let
      stripeKey = "${fake.stripeLive()}"; «secret/stripe-key»
      port = 8081;
    in
    {
      systemd.services.shop-api = {
        wantedBy = [ "multi-user.target" ];
        environment = {
          STRIPE_SECRET_KEY = stripeKey;
          PORT = toString port;
          NODE_ENV = "production";
        };
        serviceConfig.ExecStart = "\${pkgs.nodejs}/bin/node /srv/shop/server.js";
      };
    }
  `),

  labelled("stripe webhook secret in a container env", "hosts/shop/worker.nix", `
    { ... }:
    {
      virtualisation.oci-containers.containers.shop-worker = {
        image = "registry.acme.dev/shop/worker:2024.11";
        environment.STRIPE_WEBHOOK_SECRET = "${fake.stripeWebhookSecret()}"; «secret/stripe-key»
      };
    }
  `),

  labelled("twilio api key sid and secret in a unit environment", "hosts/sms/gateway.nix", `
    { ... }:
    {
      systemd.services.sms-gateway.environment = {
        TWILIO_ACCOUNT_SID = "${fake.twilioAccountSid()}";
        TWILIO_API_KEY = "${fake.twilioApiKeySid()}"; «secret/twilio-key»
        TWILIO_API_SECRET = "${fake.password(32)}"; «secret»
      };
    }
  `),

  labelled("sendgrid key as postfix relay sasl_passwd map", "hosts/mail/postfix.nix", `
    { pkgs, ... }:
    {
      services.postfix = {
        enable = true;
        relayHost = "smtp.sendgrid.net";
        relayPort = 587;
        config = {
          smtp_sasl_auth_enable = "yes";
          smtp_sasl_password_maps = "hash:/etc/postfix/sasl_passwd";
          smtp_sasl_security_options = "noanonymous";
        };
        mapFiles.sasl_passwd = pkgs.writeText "sasl_passwd" "[smtp.sendgrid.net]:587 apikey:${fake.sendgrid()}"; «secret/sendgrid-key store-leak/write-text-secret»
      };
    }
  `),

  labelled("sendgrid key as nextcloud smtp password", "hosts/cloud/nextcloud.nix", `
    { config, pkgs, ... }:
    {
      services.nextcloud = {
        enable = true;
        package = pkgs.nextcloud30;
        hostName = "cloud.acme.dev";
        config.adminpassFile = config.sops.secrets.nextcloud-admin.path;
        settings = {
          mail_smtpmode = "smtp";
          mail_smtphost = "smtp.sendgrid.net";
          mail_smtpname = "apikey";
          mail_smtppassword = "${fake.sendgrid()}"; «secret/sendgrid-key ?store-leak/service-secret-option»
        };
      };
    }
  `),

  labelled("npm token in home-manager .npmrc", "hosts/devbox/alice.nix", `
    { ... }:
    {
      home-manager.users.alice = { pkgs, ... }: {
        home.stateVersion = "24.11";
        home.packages = [ pkgs.nodejs_22 ];
        home.file.".npmrc".text = ''
          @acme:registry=https://registry.npmjs.org/
          //registry.npmjs.org/:_authToken=${fake.npm()} «secret/npm-token»
        '';
      };
    }
  `),

  labelled("pypi token for a release bot", "hosts/build-1/release-bot.nix", `
    { ... }:
    {
      systemd.services.release-bot.environment = {
        TWINE_USERNAME = "__token__";
        TWINE_PASSWORD = "${fake.pypi()}"; «secret/pypi-token»
      };
    }
  `),

  labelled("docker hub token in a login script", "hosts/build-1/docker.nix", `
    { pkgs, ... }:
    {
      virtualisation.docker.enable = true;
      systemd.services.docker-hub-login = {
        after = [ "docker.service" ];
        requires = [ "docker.service" ];
        wantedBy = [ "multi-user.target" ];
        serviceConfig.Type = "oneshot";
        script = ''
          echo "${fake.dockerhub()}" | \${pkgs.docker}/bin/docker login -u acmebot --password-stdin «secret/dockerhub-token»
        '';
      };
    }
  `),

  labelled("openai key for open-webui", "hosts/ai/webui.nix", `
    { ... }:
    {
      services.open-webui = {
        enable = true;
        port = 8080;
        environment = {
          WEBUI_AUTH = "True";
          OPENAI_API_BASE_URL = "https://api.openai.com/v1";
          OPENAI_API_KEY = "${fake.openaiProject()}"; «secret/openai-key ?store-leak/service-secret-option»
        };
      };
    }
  `),

  labelled("anthropic key in home-manager session variables", "home/bob/default.nix", `
    { pkgs, ... }:
    {
      home.username = "bob";
      home.homeDirectory = "/home/bob";
      home.sessionVariables = {
        EDITOR = "nvim";
        ANTHROPIC_API_KEY = "${fake.anthropic()}"; «secret/anthropic-key»
      };
    }
  `),

  labelled("vault token for consul-template", "hosts/app-1/consul-template.nix", `
    { ... }:
    {
      services.consul-template.instances.app = {
        settings = {
          vault = {
            address = "https://vault.acme.internal:8200";
            token = "${fake.vault()}"; «secret/vault-token ?store-leak/service-secret-option»
          };
          template = [ { source = "/etc/app/config.ctmpl"; destination = "/run/app/config.json"; } ];
        };
      };
    }
  `),

  labelled("tailscale auth key in extraUpFlags under mkIf", "modules/vpn.nix", `
    { config, lib, ... }:
    let
      cfg = config.acme.vpn;
    in
    {
      options.acme.vpn.enable = lib.mkEnableOption "join the tailnet";
      config = lib.mkIf cfg.enable {
        services.tailscale = {
          enable = true;
          useRoutingFeatures = "client";
          extraUpFlags = [
            "--ssh"
            "--authkey=${fake.tailscaleAuth()}" «secret/tailscale-key»
          ];
        };
      };
    }
  `),

  labelled("digitalocean token in an acme environmentFile written to the store", "hosts/edge/acme.nix", `
    { pkgs, ... }:
    {
      security.acme = {
        acceptTerms = true;
        defaults.email = "ops@acme.dev";
        certs."acme.dev" = {
          domain = "*.acme.dev";
          dnsProvider = "digitalocean";
          environmentFile = pkgs.writeText "do-dns.env" '' «store-leak/write-text-secret»
            DO_AUTH_TOKEN=${fake.digitalocean()} «secret/digitalocean-token»
          '';
        };
      };
    }
  `),

  labelled("heroku api key in a devshell", "shells/deploy.nix", `
    { pkgs ? import ../nix/pkgs.nix }:
    pkgs.mkShell {
      packages = [ pkgs.heroku pkgs.jq ];
      HEROKU_API_KEY = "${fake.heroku()}"; «secret/heroku-key»
    }
  `),

  labelled("cloudflare dns token in an acme credentials file", "hosts/edge/cloudflare.nix", `
    { pkgs, ... }:
    {
      security.acme.certs."internal.acme.dev" = {
        dnsProvider = "cloudflare";
        credentialsFile = pkgs.writeText "cloudflare.env" '' «store-leak/write-text-secret»
          CLOUDFLARE_EMAIL=ops@acme.dev
          CLOUDFLARE_DNS_API_TOKEN=${fake.cloudflareToken()} «secret/cloudflare-token»
        '';
      };
    }
  `),

  labelled("cloudflare global api key in a ddns unit environment", "hosts/home/ddns.nix", `
    { pkgs, ... }:
    {
      systemd.services.cf-ddns = {
        startAt = "*:0/5";
        environment = {
          CF_API_EMAIL = "ops@acme.dev";
          CF_API_KEY = "${fake.cloudflareGlobalKey()}"; «secret»
          CF_ZONE = "acme.dev";
        };
        script = "\${pkgs.cloudflare-dyndns}/bin/cloudflare-dyndns home.acme.dev";
      };
    }
  `),

  labelled("ssh host key pasted into environment.etc", "hosts/bastion/default.nix", `
    { ... }:
    {
      networking.hostName = "bastion";
      services.openssh.enable = true;
      environment.etc."ssh/ssh_host_ed25519_key" = {
        mode = "0600";
        text = '' «store-leak/etc-text-secret+${sshKey.length + 1}»
          ${pemLines(sshKey, "          ", "secret/private-key")}
        '';
      };
    }
  `),

  labelled("TLS key for nginx written with writeText", "hosts/edge/nginx.nix", `
    { pkgs, ... }:
    {
      services.nginx.enable = true;
      services.nginx.virtualHosts."intranet.acme.dev" = {
        onlySSL = true;
        sslCertificate = ./certs/intranet.crt;
        sslCertificateKey = pkgs.writeText "intranet.key" '' «store-leak/write-text-secret»
          ${pemLines(ecKey, "          ", "secret/private-key")}
        '';
        locations."/".proxyPass = "http://127.0.0.1:8000";
      };
    }
  `),

  labelled("age identity written by an activation script", "hosts/web-2/sops-bootstrap.nix", `
    { ... }:
    {
      system.activationScripts.sops-key = ''
        mkdir -p /var/lib/sops-nix
        echo "${fake.ageIdentity()}" > /var/lib/sops-nix/key.txt «secret/age-secret-key»
        chmod 600 /var/lib/sops-nix/key.txt
      '';
      sops.age.keyFile = "/var/lib/sops-nix/key.txt";
    }
  `),

  labelled("nix signing key handed to harmonia via writeText", "hosts/cache/harmonia.nix", `
    { pkgs, ... }:
    {
      services.harmonia = {
        enable = true;
        signKeyPaths = [
          (pkgs.writeText "cache-key" "${fake.nixSigningKey("cache.acme.dev-1")}") «secret/nix-signing-key store-leak/write-text-secret»
        ];
        settings.bind = "[::]:5000";
      };
    }
  `),

  labelled("nix signing key in environment.etc", "hosts/builder/signing.nix", `
    { ... }:
    {
      environment.etc."nix/signing-key.sec" = {
        mode = "0400";
        text = "${fake.nixSigningKey("builder.acme.dev-1")}"; «secret/nix-signing-key store-leak/etc-text-secret»
      };
      nix.settings.secret-key-files = [ "/etc/nix/signing-key.sec" ];
    }
  `),

  labelled("loki bearer JWT in grafana datasource provisioning", "hosts/monitor/grafana.nix", `
    { config, ... }:
    {
      services.grafana.provision.datasources.settings.datasources = [
        {
          name = "Loki";
          type = "loki";
          url = "https://loki.acme.dev";
          jsonData.httpHeaderName1 = "Authorization";
          secureJsonData.httpHeaderValue1 = "Bearer ${fake.jwt({ sub: "grafana", iss: "loki-gateway", iat: 1732000000 })}"; «secret/jwt»
        }
      ];
    }
  `),

  labelled("home assistant long-lived token as prometheus bearer_token", "hosts/monitor/scrape.nix", `
    { ... }:
    {
      services.prometheus.scrapeConfigs = [
        {
          job_name = "hass";
          scrape_interval = "60s";
          metrics_path = "/api/prometheus";
          bearer_token = "${fake.jwt({ iss: fake.gitRev().slice(0, 32), iat: 1730000000, exp: 2045360000 })}"; «secret/jwt ?store-leak/service-secret-option»
          static_configs = [ { targets = [ "hass.lan:8123" ]; } ];
        }
      ];
    }
  `),

  labelled("postgres url with password in grafana database settings", "hosts/monitor/grafana-db.nix", `
    { ... }:
    {
      services.grafana.settings.database = {
        type = "postgres";
        url = "postgres://grafana:${fake.password(20)}@db.acme.internal:5432/grafana?sslmode=require"; «secret/url-password»
      };
    }
  `),

  labelled("DATABASE_URL with password inside mkIf, via let", "modules/app.nix", `
    { config, lib, pkgs, ... }:
    with lib;
    let
      cfg = config.acme.app;
      dbUrl = "postgresql://app:${fake.humanPassword()}@localhost/app"; «secret/url-password»
    in
    {
      options.acme.app = {
        enable = mkEnableOption "the acme app";
        port = mkOption { type = types.port; default = 8000; };
      };
      config = mkIf cfg.enable {
        systemd.services.acme-app = {
          wantedBy = [ "multi-user.target" ];
          environment.DATABASE_URL = dbUrl;
          serviceConfig.ExecStart = "\${pkgs.acme-app}/bin/acme-app --port \${toString cfg.port}";
        };
      };
    }
  `),

  labelled("redis url with password and empty user", "hosts/app-1/worker.nix", `
    { ... }:
    {
      systemd.services.celery-worker.environment = {
        CELERY_BROKER_URL = "redis://:${fake.password(32)}@10.0.0.12:6379/0"; «secret/url-password»
        CELERY_RESULT_BACKEND = "redis://10.0.0.12:6379/1";
      };
    }
  `),

  labelled("sha512-crypt hash in users.users", "hosts/web-1/users.nix", `
    { ... }:
    {
      users.mutableUsers = false;
      users.users.deploy = {
        isNormalUser = true;
        extraGroups = [ "wheel" ];
        hashedPassword = "${fake.sha512crypt()}"; «store-leak/user-password secret/crypt-hash»
      };
    }
  `),

  labelled("bcrypt hash in caddy basicauth", "hosts/edge/caddy.nix", `
    { ... }:
    {
      services.caddy = {
        enable = true;
        virtualHosts."metrics.acme.dev".extraConfig = ''
          basicauth {
            prometheus ${fake.bcrypt()} «secret/crypt-hash»
          }
          reverse_proxy 127.0.0.1:9090
        '';
      };
    }
  `),

  labelled("wifi psk in networking.wireless", "hosts/laptop/wifi.nix", `
    { ... }:
    {
      networking.wireless = {
        enable = true;
        userControlled.enable = true;
        networks."AcmeCorp".psk = "${fake.humanPassword()}"; «store-leak/service-secret-option secret/literal-credential»
        networks."Guest" = { };
      };
    }
  `),

  labelled("postgres password in oci container env", "hosts/app-3/containers.nix", `
    { ... }:
    {
      virtualisation.oci-containers.containers = {
        db = {
          image = "docker.io/library/postgres:16";
          environment = {
            POSTGRES_USER = "app";
            POSTGRES_PASSWORD = "${fake.password(20)}"; «secret/literal-credential»
            POSTGRES_DB = "app";
          };
          volumes = [ "/var/lib/app-db:/var/lib/postgresql/data" ];
        };
      };
    }
  `),

  labelled("msmtp account password in programs.msmtp", "hosts/monitor/mail.nix", `
    { ... }:
    {
      programs.msmtp = {
        enable = true;
        setSendmail = true;
        accounts.default = {
          auth = true;
          tls = true;
          host = "smtp.fastmail.com";
          port = 465;
          from = "alerts@acme.dev";
          user = "alerts@acme.dev";
          password = "${fake.password(16)}"; «secret/literal-credential»
        };
      };
    }
  `),

  labelled("API token in a KEY=value environment.etc file", "hosts/app-2/env.nix", `
    { ... }:
    {
      environment.etc."acme/app.env" = {
        mode = "0440";
        text = '' «store-leak/etc-text-secret+4»
          APP_ENV=production
          APP_API_TOKEN=${fake.password(40)} «secret/literal-credential»
          APP_LOG_LEVEL=info
        '';
      };
    }
  `),

  labelled("database password inside a systemd unit environment (nested sets)", "hosts/app-2/billing.nix", `
    { pkgs, ... }:
    {
      systemd = {
        services = {
          billing = {
            wantedBy = [ "multi-user.target" ];
            environment = {
              DB_HOST = "db.acme.internal";
              DB_USER = "billing";
              DB_PASSWORD = "${fake.password(18)}"; «secret/literal-credential»
            };
            serviceConfig.ExecStart = "\${pkgs.billing}/bin/billing";
          };
        };
      };
    }
  `),

  labelled("secret in a module listed inline in imports", "hosts/app-4/default.nix", `
    { config, pkgs, ... }:
    {
      imports = [
        ./hardware-configuration.nix
        {
          systemd.services.metrics-push.environment.PUSHGATEWAY_TOKEN = "${fake.password(32)}"; «secret/literal-credential»
        }
      ];
      networking.hostName = "app-4";
      system.stateVersion = "24.05";
    }
  `),

  labelled("token-like custom option set under mkDefault", "hosts/app-5/default.nix", `
    { lib, ... }:
    {
      acme.telemetry = {
        enable = true;
        endpoint = "https://otel.acme.dev:4318";
        apiToken = lib.mkDefault "${fake.password(40)}"; «secret/literal-credential»
      };
    }
  `),
];
