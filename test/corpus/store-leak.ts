/**
 * Positive cases for store-leak/*: options and builders that put a secret into
 * the world-readable /nix/store, whether or not the value looks like a credential.
 */
import { fake } from "./fake.js";
import { labelled } from "./label.js";
import { fleetLock } from "./locks.js";
import type { LabelledCase } from "./types.js";

export const STORE_LEAK_CASES: LabelledCase[] = [
  // --- store-leak/user-password -------------------------------------------
  labelled("initialPassword on a normal user", "hosts/laptop/users.nix", `
    { pkgs, ... }:
    {
      users.users.alice = {
        isNormalUser = true;
        description = "Alice";
        extraGroups = [ "wheel" "networkmanager" "video" ];
        shell = pkgs.zsh;
        initialPassword = "changeme"; «store-leak/user-password ?secret/literal-credential»
      };
      programs.zsh.enable = true;
    }
  `),

  labelled("plain root password in a dotted assignment", "hosts/kiosk/default.nix", `
    { ... }:
    {
      networking.hostName = "kiosk-lobby";
      users.users.root.password = "${fake.humanPassword()}"; «store-leak/user-password ?secret/literal-credential»
      services.cage = {
        enable = true;
        user = "kiosk";
        program = "/run/current-system/sw/bin/firefox --kiosk https://acme.dev";
      };
    }
  `),

  labelled("yescrypt initialHashedPassword on root via users.extraUsers", "hosts/legacy/users.nix", `
    { ... }:
    {
      users.extraUsers.root.initialHashedPassword = "${fake.yescrypt()}"; «store-leak/user-password secret/crypt-hash»
    }
  `),

  labelled("hashedPassword forced with mkForce in a users attrset", "hosts/db-1/users.nix", `
    { lib, ... }:
    {
      users.users = {
        root.hashedPassword = lib.mkForce "${fake.sha512crypt()}"; «store-leak/user-password secret/crypt-hash»
        postgres.extraGroups = [ "backup" ];
      };
    }
  `),

  labelled("password hash from a let binding, inside mkMerge", "modules/users.nix", `
    { config, lib, ... }:
    let
      opsHash = "${fake.sha512crypt()}"; «secret/crypt-hash store-leak/user-password+8»
    in
    {
      config = lib.mkMerge [
        { users.mutableUsers = false; }
        (lib.mkIf config.acme.opsUser.enable {
          users.users.ops = {
            isNormalUser = true;
            hashedPassword = opsHash;
          };
        })
      ];
    }
  `),

  // --- store-leak/wireguard-private-key ------------------------------------
  labelled("wireguard interface with inline privateKey", "hosts/vpn-gw/wireguard.nix", `
    { ... }:
    {
      networking.firewall.allowedUDPPorts = [ 51820 ];
      networking.wireguard.interfaces.wg0 = {
        ips = [ "10.100.0.1/24" ];
        listenPort = 51820;
        privateKey = "${fake.wireguardKey()}"; «store-leak/wireguard-private-key ?secret/literal-credential»
        peers = [
          {
            publicKey = "${fake.wireguardPublicKey()}";
            allowedIPs = [ "10.100.0.2/32" ];
          }
        ];
      };
    }
  `),

  labelled("wg-quick peer with inline presharedKey", "hosts/laptop/wg-quick.nix", `
    { config, ... }:
    {
      networking.wg-quick.interfaces.office = {
        address = [ "10.8.0.5/32" ];
        dns = [ "10.8.0.1" ];
        privateKeyFile = config.age.secrets.wg-office.path;
        peers = [
          {
            publicKey = "${fake.wireguardPublicKey()}";
            presharedKey = "${fake.wireguardKey()}"; «store-leak/wireguard-private-key ?secret/literal-credential»
            allowedIPs = [ "10.8.0.0/24" ];
            endpoint = "vpn.acme.dev:51820";
            persistentKeepalive = 25;
          }
        ];
      };
    }
  `),

  labelled("systemd-networkd wireguard netdev with PrivateKey", "hosts/vpn-gw/networkd.nix", `
    { ... }:
    {
      systemd.network = {
        enable = true;
        netdevs."50-wg0" = {
          netdevConfig = {
            Kind = "wireguard";
            Name = "wg0";
          };
          wireguardConfig = {
            PrivateKey = "${fake.wireguardKey()}"; «store-leak/wireguard-private-key ?secret/literal-credential»
            ListenPort = 51820;
          };
          wireguardPeers = [
            {
              PublicKey = "${fake.wireguardPublicKey()}";
              AllowedIPs = [ "10.100.0.0/24" ];
            }
          ];
        };
      };
    }
  `),

  labelled("wireguard key from a let binding in a flake module list", "flake.nix", `
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
      outputs = { self, nixpkgs }:
        let
          wgKey = "${fake.wireguardKey()}"; «store-leak/wireguard-private-key+10 ?secret/literal-credential»
        in
        {
          nixosConfigurations.edge-1 = nixpkgs.lib.nixosSystem {
            system = "x86_64-linux";
            modules = [
              ./hosts/edge-1
              {
                networking.wireguard.interfaces.wg0.privateKey = wgKey;
              }
            ];
          };
        };
    }
  `, { siblingLock: fleetLock(["nixpkgs"]).text }),

  // --- store-leak/nginx-basic-auth ----------------------------------------
  labelled("nginx basicAuth on a virtual host", "hosts/monitor/nginx.nix", `
    { ... }:
    {
      services.nginx.virtualHosts."grafana.acme.dev" = {
        forceSSL = true;
        enableACME = true;
        basicAuth = { admin = "${fake.humanPassword()}"; }; «store-leak/nginx-basic-auth ?secret/literal-credential»
        locations."/".proxyPass = "http://127.0.0.1:3000";
      };
    }
  `),

  labelled("nginx basicAuth on a location, dotted user name", "hosts/monitor/metrics.nix", `
    { ... }:
    {
      services.nginx.virtualHosts."metrics.acme.dev" = {
        forceSSL = true;
        useACMEHost = "acme.dev";
        locations."/federate" = {
          proxyPass = "http://127.0.0.1:9090";
          basicAuth.federation = "${fake.password(20)}"; «store-leak/nginx-basic-auth ?secret/literal-credential»
        };
      };
    }
  `),

  // --- store-leak/service-secret-option -----------------------------------
  labelled("grafana admin password and secret key in settings", "hosts/monitor/grafana-security.nix", `
    { ... }:
    {
      services.grafana = {
        enable = true;
        settings = {
          server.http_addr = "127.0.0.1";
          security = {
            admin_user = "admin";
            admin_password = "${fake.humanPassword()}"; «store-leak/service-secret-option secret/literal-credential»
            secret_key = "${fake.password(32)}"; «store-leak/service-secret-option secret/literal-credential»
          };
        };
      };
    }
  `),

  labelled("redis requirePass", "hosts/app-1/redis.nix", `
    { ... }:
    {
      services.redis.servers.celery = {
        enable = true;
        port = 6379;
        bind = "10.0.0.12";
        requirePass = "${fake.password(32)}"; «store-leak/service-secret-option secret/literal-credential»
      };
    }
  `),

  labelled("borgbackup repokey passphrase", "hosts/nas/borg.nix", `
    { ... }:
    {
      services.borgbackup.jobs.home = {
        paths = [ "/home" ];
        exclude = [ "/home/*/.cache" ];
        repo = "borg@backup.acme.dev:/srv/borg/nas";
        encryption = {
          mode = "repokey-blake2";
          passphrase = "${fake.humanPassword()} correct horse"; «store-leak/service-secret-option secret/literal-credential»
        };
        compression = "auto,zstd";
        startAt = "daily";
      };
    }
  `),

  labelled("mosquitto listener user password", "hosts/home/mqtt.nix", `
    { ... }:
    {
      services.mosquitto = {
        enable = true;
        listeners = [
          {
            port = 1883;
            users.zigbee2mqtt = {
              password = "${fake.password(20)}"; «store-leak/service-secret-option secret/literal-credential»
              acl = [ "readwrite #" ];
            };
          }
        ];
      };
    }
  `),

  labelled("zigbee2mqtt mqtt password in settings", "hosts/home/zigbee.nix", `
    { ... }:
    {
      services.zigbee2mqtt = {
        enable = true;
        settings = {
          homeassistant = true;
          permit_join = false;
          serial.port = "/dev/ttyUSB0";
          mqtt = {
            server = "mqtt://localhost:1883";
            user = "zigbee2mqtt";
            password = "${fake.password(20)}"; «store-leak/service-secret-option secret/literal-credential»
          };
        };
      };
    }
  `),

  labelled("synapse registration_shared_secret under with lib and mkIf", "modules/matrix.nix", `
    { config, lib, ... }:
    with lib;
    let
      cfg = config.acme.matrix;
    in
    {
      options.acme.matrix.enable = mkEnableOption "Matrix homeserver";
      config = mkIf cfg.enable {
        services.matrix-synapse = {
          enable = true;
          settings = {
            server_name = "acme.dev";
            enable_registration = false;
            registration_shared_secret = "${fake.password(48)}"; «store-leak/service-secret-option secret/literal-credential»
            listeners = [ { port = 8008; bind_addresses = [ "127.0.0.1" ]; type = "http"; tls = false; x_forwarded = true; resources = [ { names = [ "client" "federation" ]; compress = true; } ]; } ];
          };
        };
      };
    }
  `),

  labelled("gitea mailer PASSWD", "hosts/git/gitea.nix", `
    { config, ... }:
    {
      services.gitea = {
        enable = true;
        database.type = "postgres";
        settings = {
          server.DOMAIN = "git.acme.dev";
          mailer = {
            ENABLED = true;
            PROTOCOL = "smtps";
            SMTP_ADDR = "smtp.fastmail.com";
            USER = "git@acme.dev";
            PASSWD = "${fake.password(16)}"; «store-leak/service-secret-option secret/literal-credential»
          };
        };
      };
    }
  `),

  labelled("home assistant twilio auth_token", "hosts/home/hass.nix", `
    { ... }:
    {
      services.home-assistant = {
        enable = true;
        extraComponents = [ "met" "twilio" ];
        config = {
          homeassistant.name = "Home";
          twilio = {
            account_sid = "${fake.twilioAccountSid()}";
            auth_token = "${fake.password(32).toLowerCase()}"; «store-leak/service-secret-option secret/literal-credential»
          };
        };
      };
    }
  `),

  labelled("grafana admin password through mkOverride in deeply nested sets", "hosts/monitor/grafana-nested.nix", `
    { lib, ... }:
    {
      services = {
        grafana = {
          enable = true;
          settings = {
            security = {
              admin_password = lib.mkOverride 90 "${fake.humanPassword()}"; «store-leak/service-secret-option secret/literal-credential»
            };
          };
        };
      };
    }
  `),

  labelled("password inherited from a let binding", "hosts/home/z2m-inherit.nix", `
    { ... }:
    let
      password = "${fake.password(20)}"; «store-leak/service-secret-option+7 ?secret/literal-credential»
    in
    {
      services.zigbee2mqtt.settings.mqtt = {
        server = "mqtt://localhost:1883";
        user = "zigbee2mqtt";
        inherit password;
      };
    }
  `),

  labelled("hashedPassword behind an mkIf on the value", "modules/root-login.nix", `
    { config, lib, ... }:
    {
      options.acme.useSops = lib.mkEnableOption "passwords from sops";
      config.users.users.root.hashedPassword = lib.mkIf (!config.acme.useSops) "${fake.yescrypt()}"; «store-leak/user-password secret/crypt-hash»
    }
  `),

  labelled("openvpn authUserPass", "hosts/laptop/openvpn.nix", `
    { ... }:
    {
      services.openvpn.servers.office = {
        config = "config /etc/openvpn/office.ovpn";
        autoStart = false;
        authUserPass = {
          username = "alice";
          password = "${fake.humanPassword()}"; «store-leak/service-secret-option secret/literal-credential»
        };
      };
    }
  `),

  labelled("keycloak initialAdminPassword in mkDefault", "hosts/idp/keycloak.nix", `
    { lib, config, ... }:
    {
      services.keycloak = {
        enable = true;
        database.passwordFile = config.sops.secrets.keycloak-db.path;
        settings.hostname = "id.acme.dev";
        initialAdminPassword = lib.mkDefault "${fake.humanPassword()}"; «store-leak/service-secret-option secret/literal-credential»
      };
    }
  `),

  labelled("gitea database password", "hosts/git/db.nix", `
    { ... }:
    {
      services.gitea.database = {
        type = "postgres";
        host = "db.acme.internal";
        name = "gitea";
        user = "gitea";
        password = "${fake.password(24)}"; «store-leak/service-secret-option secret/literal-credential»
      };
    }
  `),

  // --- store-leak/read-secret-file ------------------------------------------
  labelled("readFile of a hash file into hashedPassword", "hosts/web-1/admin.nix", `
    { ... }:
    {
      users.users.admin = {
        isNormalUser = true;
        extraGroups = [ "wheel" ];
        hashedPassword = builtins.readFile ./secrets/admin.hash; «store-leak/read-secret-file store-leak/user-password»
      };
    }
  `),

  labelled("lib.fileContents of a wireguard key", "hosts/vpn-gw/wg1.nix", `
    { lib, ... }:
    {
      networking.wireguard.interfaces.wg1 = {
        ips = [ "10.200.0.1/24" ];
        privateKey = lib.fileContents ./keys/wg1.key; «store-leak/read-secret-file store-leak/wireguard-private-key»
      };
    }
  `),

  labelled("importJSON of a secrets file bound in let", "hosts/monitor/secrets-json.nix", `
    { lib, ... }:
    let
      secrets = lib.importJSON ./secrets/monitor.json; «store-leak/read-secret-file»
    in
    {
      services.grafana.settings.security.admin_password = secrets.grafana_admin; «store-leak/service-secret-option»
    }
  `),

  labelled("readFile of a sops secret path at evaluation time", "hosts/git/gitea-db.nix", `
    { config, ... }:
    {
      sops.secrets.gitea-db = { owner = "gitea"; };
      services.gitea.database.password = builtins.readFile config.sops.secrets.gitea-db.path; «store-leak/read-secret-file store-leak/service-secret-option»
    }
  `),

  labelled("readFile of an agenix runtime path into an env var", "hosts/app-2/token.nix", `
    { ... }:
    {
      systemd.services.sync.environment.SYNC_TOKEN = builtins.readFile "/run/agenix/sync-token"; «store-leak/read-secret-file»
    }
  `),

  // --- store-leak/write-text-secret ------------------------------------------
  labelled("restic password file interpolated from writeText", "hosts/nas/restic.nix", `
    { pkgs, ... }:
    {
      services.restic.backups.b2 = {
        repository = "b2:acme-nas-backup";
        passwordFile = "\${pkgs.writeText "restic-password" "${fake.password(32)}"}"; «store-leak/write-text-secret»
        paths = [ "/srv/share" ];
      };
    }
  `),

  labelled("htpasswd via builtins.toFile for basicAuthFile", "hosts/edge/htpasswd.nix", `
    { ... }:
    {
      services.nginx.virtualHosts."status.acme.dev" = {
        forceSSL = true;
        enableACME = true;
        basicAuthFile = builtins.toFile "htpasswd" "status:${fake.apr1()}"; «store-leak/write-text-secret ?secret/crypt-hash»
        root = "/var/www/status";
      };
    }
  `),

  labelled("writeShellScript exporting an aws secret", "hosts/nas/sync.nix", `
    { pkgs, ... }:
    {
      systemd.services.s3-sync = {
        startAt = "hourly";
        serviceConfig.ExecStart = pkgs.writeShellScript "s3-sync" '' «store-leak/write-text-secret»
          export AWS_ACCESS_KEY_ID=${fake.awsAccessKeyId()} «secret/aws-access-key»
          export AWS_SECRET_ACCESS_KEY=${fake.awsSecretAccessKey()} «secret/aws-secret-key»
          exec \${pkgs.awscli2}/bin/aws s3 sync /srv/share s3://acme-share
        '';
      };
    }
  `),

  labelled("postgres init script creating a role with a password", "hosts/db-1/postgres.nix", `
    { pkgs, ... }:
    {
      services.postgresql = {
        enable = true;
        ensureDatabases = [ "app" ];
        initialScript = pkgs.writeText "init.sql" '' «store-leak/write-text-secret»
          CREATE ROLE app WITH LOGIN PASSWORD '${fake.password(20)}'; «?secret/literal-credential»
          GRANT ALL PRIVILEGES ON DATABASE app TO app;
        '';
      };
    }
  `),

  // --- store-leak/secret-path-literal -------------------------------------------
  labelled("initrd ssh host key as a path literal", "hosts/nas/initrd-ssh.nix", `
    { ... }:
    {
      boot.initrd.network = {
        enable = true;
        ssh = {
          enable = true;
          port = 2222;
          authorizedKeys = [ "${fake.sshEd25519Public()} alice@laptop" ];
          hostKeys = [ ./initrd/ssh_host_ed25519_key ]; «store-leak/secret-path-literal»
        };
      };
    }
  `),

  labelled("sslCertificateKey as a path literal", "hosts/edge/intranet-tls.nix", `
    { ... }:
    {
      services.nginx.virtualHosts."wiki.acme.dev" = {
        onlySSL = true;
        sslCertificate = ./certs/fullchain.pem;
        sslCertificateKey = ./certs/privkey.pem; «store-leak/secret-path-literal»
        root = "/srv/wiki";
      };
    }
  `),

  labelled("wireguard privateKeyFile interpolating a path literal", "hosts/laptop/wg-home.nix", `
    { ... }:
    {
      networking.wireguard.interfaces.home = {
        ips = [ "10.9.0.3/24" ];
        privateKeyFile = "\${./secrets/wg-home.key}"; «store-leak/secret-path-literal»
      };
    }
  `),

  labelled("nix-serve secretKeyFile from a path literal", "hosts/cache/nix-serve.nix", `
    { ... }:
    {
      services.nix-serve = {
        enable = true;
        port = 5000;
        secretKeyFile = "\${./cache-priv-key.pem}"; «store-leak/secret-path-literal»
      };
    }
  `),

  labelled("ssh id_ed25519 installed with environment.etc source", "hosts/build-1/deploy-key.nix", `
    { ... }:
    {
      environment.etc."ssh/deploy_id_ed25519" = {
        source = ./keys/id_ed25519; «store-leak/secret-path-literal»
        mode = "0400";
      };
    }
  `),

  // --- store-leak/etc-text-secret ------------------------------------------------
  labelled("NetworkManager connection profile with psk", "hosts/laptop/nm.nix", `
    { ... }:
    {
      networking.networkmanager.enable = true;
      environment.etc."NetworkManager/system-connections/office.nmconnection" = {
        mode = "0600";
        text = '' «store-leak/etc-text-secret+12»
          [connection]
          id=office
          type=wifi

          [wifi]
          ssid=AcmeCorp

          [wifi-security]
          key-mgmt=wpa-psk
          psk=${fake.humanPassword()} «secret/literal-credential»
        '';
      };
    }
  `),

  labelled("msmtprc in environment.etc with password line", "hosts/nas/msmtp.nix", `
    { ... }:
    {
      environment.etc."msmtprc".text = '' «store-leak/etc-text-secret+8»
        defaults
        auth on
        tls on
        account default
        host smtp.fastmail.com
        user nas@acme.dev
        password ${fake.password(16)} «?secret/literal-credential»
      '';
    }
  `),

  labelled("ini config with db password in environment.etc", "modules/legacy-app.nix", `
    { config, lib, ... }:
    lib.mkIf config.acme.legacy.enable {
      environment.etc."legacy-app/config.ini" = {
        user = "legacy";
        mode = "0400";
        text = lib.mkForce '' «store-leak/etc-text-secret+6»
          [database]
          host = db.acme.internal
          user = legacy
          password = ${fake.humanPassword()} «secret/literal-credential»
        '';
      };
    }
  `),

  // --- store-leak/getenv-secret ----------------------------------------------------
  labelled("getEnv of a cachix token", "hosts/build-1/cachix.nix", `
    { ... }:
    {
      environment.variables.CACHIX_AUTH_TOKEN = builtins.getEnv "CACHIX_AUTH_TOKEN"; «store-leak/getenv-secret»
    }
  `),

  labelled("getEnv in a let binding feeding a service env", "hosts/app-1/sentry.nix", `
    { ... }:
    let
      sentryDsn = "https://public@sentry.acme.dev/4";
      apiKey = builtins.getEnv "ACME_API_KEY"; «store-leak/getenv-secret»
    in
    {
      systemd.services.app.environment = {
        SENTRY_DSN = sentryDsn;
        ACME_API_KEY = apiKey;
      };
    }
  `),

  labelled("getEnv feeding a user's hashedPassword", "hosts/installer/default.nix", `
    { ... }:
    {
      users.users.root.hashedPassword = builtins.getEnv "ROOT_HASH"; «store-leak/getenv-secret store-leak/user-password»
    }
  `),
];
