/**
 * Negative cases: what guard must NOT flag. Content hashes, revisions, public
 * keys, encrypted values, option documentation, runtime secret paths, well-pinned
 * inputs and sane Nix settings — the bulk of every real fleet repository.
 */
import { CACHE_NIXOS_ORG_KEY, fake } from "./fake.js";
import { forgeNode, labelled, lockFile } from "./label.js";
import { FRESH, fleetLock, fleetNodes } from "./locks.js";
import { ACME_CACHE_CONFIG, ACME_CACHE_KEY } from "./cache-trust.js";
import { DAY } from "./clock.js";
import type { LabelledCase } from "./types.js";

const cert = fake.certificateLines();

export const NEGATIVE_CASES: LabelledCase[] = [
  // --- content hashes under hash-like names -------------------------------------------
  labelled("go package with SRI hash and vendorHash", "pkgs/acme-agent/default.nix", `
    { lib, buildGoModule, fetchFromGitHub }:
    buildGoModule rec {
      pname = "acme-agent";
      version = "1.8.3";
      src = fetchFromGitHub {
        owner = "acme";
        repo = "agent";
        rev = "v\${version}";
        hash = "${fake.sri()}";
      };
      vendorHash = "${fake.sri()}";
      ldflags = [ "-s" "-w" "-X main.version=\${version}" ];
      meta = {
        description = "Host agent for the acme platform";
        license = lib.licenses.asl20;
        mainProgram = "acme-agent";
      };
    }
  `),

  labelled("rust package with cargoHash and a git rev", "pkgs/fleetctl/default.nix", `
    { lib, rustPlatform, fetchFromGitLab, pkg-config, openssl }:
    rustPlatform.buildRustPackage {
      pname = "fleetctl";
      version = "0.9.0-unstable-2025-02-11";
      src = fetchFromGitLab {
        domain = "gitlab.acme.dev";
        owner = "platform";
        repo = "fleetctl";
        rev = "${fake.gitRev()}";
        sha256 = "${fake.nixBase32()}";
      };
      cargoHash = "${fake.sri()}";
      nativeBuildInputs = [ pkg-config ];
      buildInputs = [ openssl ];
    }
  `),

  labelled("npm package with npmDepsHash", "pkgs/status-page/default.nix", `
    { buildNpmPackage, fetchFromGitHub }:
    buildNpmPackage rec {
      pname = "status-page";
      version = "2.1.0";
      src = fetchFromGitHub {
        owner = "acme";
        repo = "status-page";
        tag = "v\${version}";
        hash = "${fake.sri()}";
      };
      npmDepsHash = "${fake.sri()}";
      npmBuildScript = "build";
    }
  `),

  labelled("fixed-output derivation with hex outputHash", "pkgs/geoip-db/default.nix", `
    { stdenvNoCC, curl, cacert }:
    stdenvNoCC.mkDerivation {
      name = "geoip-db-2025-03";
      nativeBuildInputs = [ curl ];
      SSL_CERT_FILE = "\${cacert}/etc/ssl/certs/ca-bundle.crt";
      buildCommand = "curl -sSfL https://mirror.acme.dev/geoip/2025-03.mmdb -o $out";
      outputHashAlgo = "sha256";
      outputHashMode = "flat";
      outputHash = "${fake.sha256Hex()}";
    }
  `),

  labelled("fetchurl with sha512 SRI and base32 sha256 patches", "pkgs/tools/patched-curl.nix", `
    { curl, fetchurl, fetchpatch }:
    curl.overrideAttrs (old: {
      src = fetchurl {
        url = "https://curl.se/download/curl-8.12.1.tar.xz";
        hash = "${fake.sri512()}";
      };
      patches = (old.patches or [ ]) ++ [
        (fetchpatch {
          url = "https://github.com/curl/curl/commit/${fake.gitRev()}.patch";
          sha256 = "${fake.nixBase32()}";
        })
      ];
    })
  `),

  labelled("fetchTree pinned by rev and narHash", "nix/sources.nix", `
    {
      nixpkgs = builtins.fetchTree {
        type = "github";
        owner = "NixOS";
        repo = "nixpkgs";
        rev = "${fake.gitRev()}";
        narHash = "${fake.sri()}";
      };
    }
  `),

  labelled("pinned builtin fetchers", "nix/pinned.nix", `
    let
      nixpkgs = builtins.fetchTarball {
        url = "https://github.com/NixOS/nixpkgs/archive/${fake.gitRev()}.tar.gz";
        sha256 = "${fake.nixBase32()}";
      };
      modules = builtins.fetchGit {
        url = "https://github.com/acme/nix-modules.git";
        rev = "${fake.gitRev()}";
      };
      hardware = fetchTarball {
        url = "https://github.com/NixOS/nixos-hardware/archive/${fake.gitRev()}.tar.gz";
        sha256 = "${fake.nixBase32()}";
      };
    in
    {
      pkgs = import nixpkgs { };
      inherit modules hardware;
    }
  `),

  // --- public keys ---------------------------------------------------------------------
  labelled("authorized ssh keys and known hosts", "hosts/web-1/ssh.nix", `
    { ... }:
    {
      users.users.alice.openssh.authorizedKeys.keys = [
        "${fake.sshEd25519Public()} alice@laptop"
        "${fake.sshRsaPublic()} alice@old-desktop"
      ];
      users.users.root.openssh.authorizedKeys.keys = [ "${fake.sshEd25519Public()} deploy@ci" ];
      programs.ssh.knownHosts = {
        "github.com".publicKey = "${fake.sshEd25519Public()}";
        "git.acme.dev" = {
          hostNames = [ "git.acme.dev" "10.0.0.3" ];
          publicKey = "${fake.sshEd25519Public()}";
        };
      };
    }
  `),

  labelled("agenix secrets.nix with recipients", "secrets/secrets.nix", `
    let
      alice = "${fake.sshEd25519Public()}";
      bob = "${fake.sshEd25519Public()}";
      users = [ alice bob ];

      web-1 = "${fake.sshEd25519Public()}";
      db-1 = "${fake.sshEd25519Public()}";
      systems = [ web-1 db-1 ];
    in
    {
      "restic-password.age".publicKeys = users ++ systems;
      "grafana-admin.age".publicKeys = users ++ [ web-1 ];
      "db-password.age".publicKeys = users ++ [ db-1 ];
    }
  `),

  labelled("wireguard with key files and public keys only", "hosts/vpn-gw/wg-good.nix", `
    { config, ... }:
    {
      networking.wireguard.interfaces.wg0 = {
        ips = [ "10.100.0.1/24" ];
        listenPort = 51820;
        privateKeyFile = "/run/agenix/wg0";
        peers = [
          {
            publicKey = "${fake.wireguardPublicKey()}";
            presharedKeyFile = config.age.secrets.wg0-psk.path;
            allowedIPs = [ "10.100.0.2/32" ];
          }
          {
            publicKey = "${fake.wireguardPublicKey()}";
            allowedIPs = [ "10.100.0.3/32" ];
            endpoint = "office.acme.dev:51820";
          }
        ];
      };
    }
  `),

  labelled("networkd wireguard with PrivateKeyFile", "hosts/vpn-gw/networkd-good.nix", `
    { config, ... }:
    {
      systemd.network.netdevs."50-wg0" = {
        netdevConfig = { Kind = "wireguard"; Name = "wg0"; };
        wireguardConfig = {
          PrivateKeyFile = config.age.secrets.wg0.path;
          ListenPort = 51820;
        };
        wireguardPeers = [
          {
            PublicKey = "${fake.wireguardPublicKey()}";
            PresharedKeyFile = "/run/secrets/wg0-psk";
            AllowedIPs = [ "10.100.0.0/24" ];
          }
        ];
      };
    }
  `),

  labelled("age recipient in a backup script", "hosts/db-1/dump.nix", `
    { pkgs, ... }:
    {
      systemd.services.pg-dump = {
        startAt = "03:15";
        path = [ pkgs.postgresql_16 pkgs.age ];
        serviceConfig.User = "postgres";
        script = ''
          pg_dumpall | age -r ${fake.ageRecipient()} > /var/backup/all-$(date +%F).sql.age
        '';
      };
    }
  `),

  labelled("binary cache settings with the real cache.nixos.org key", "modules/nix/settings-good.nix", `
    { ... }:
    {
      nix.settings = {
        substituters = [ "https://cache.nixos.org/" ];
        trusted-public-keys = [ "${CACHE_NIXOS_ORG_KEY}" ];
        trusted-users = [ "root" ];
        allowed-users = [ "@wheel" ];
        require-sigs = true;
        experimental-features = [ "nix-command" "flakes" ];
        auto-optimise-store = true;
      };
    }
  `),

  labelled("CA certificate in security.pki", "modules/pki.nix", `
    { ... }:
    {
      security.pki.certificates = [
        ''
          acme internal root CA
          =====================
          ${cert.join("\n          ")}
        ''
      ];
    }
  `),

  // --- encrypted values and secret managers -----------------------------------------------
  labelled("sops-encrypted values rendered into a file", "hosts/app-2/sops-values.nix", `
    { ... }:
    {
      environment.etc."app/secrets.enc.json".text = builtins.toJSON {
        db_password = "${fake.sopsEnc()}";
        api_token = "${fake.sopsEnc()}";
        sops = {
          age = [ { recipient = "${fake.ageRecipient()}"; enc = "-----BEGIN AGE ENCRYPTED FILE-----\\n${fake.sri()}\\n-----END AGE ENCRYPTED FILE-----\\n"; } ];
          lastmodified = "2025-01-12T10:22:31Z";
          mac = "${fake.sopsEnc()}";
          version = "3.9.4";
        };
      };
    }
  `),

  labelled("agenix secret files and paths", "hosts/web-1/age.nix", `
    { config, ... }:
    {
      age.identityPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];
      age.secrets = {
        restic-password.file = ../../secrets/restic-password.age;
        grafana-admin = {
          file = ../../secrets/grafana-admin.age;
          owner = "grafana";
          mode = "0400";
        };
      };
      services.restic.backups.b2.passwordFile = config.age.secrets.restic-password.path;
    }
  `),

  labelled("sops-nix setup with passwordFile and hashedPasswordFile", "hosts/web-1/sops.nix", `
    { config, ... }:
    {
      sops.defaultSopsFile = ./secrets.yaml;
      sops.age.sshKeyPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];
      sops.secrets.alice-password.neededForUsers = true;
      sops.secrets."nextcloud/admin" = { owner = "nextcloud"; };
      sops.secrets.db-password = { };

      users.users.alice.hashedPasswordFile = config.sops.secrets.alice-password.path;
      services.nextcloud.config.adminpassFile = config.sops.secrets."nextcloud/admin".path;
      services.nextcloud.config.dbpassFile = config.sops.secrets.db-password.path;
    }
  `),

  labelled("sops template with placeholders", "hosts/app-2/template.nix", `
    { config, ... }:
    {
      sops.secrets.app-db-password = { };
      sops.templates."app.env".content = ''
        DATABASE_URL=postgres://app:\${config.sops.placeholder.app-db-password}@db.acme.internal/app
        APP_SECRET=\${config.sops.placeholder.app-secret}
      '';
      systemd.services.app.serviceConfig.EnvironmentFile = config.sops.templates."app.env".path;
    }
  `),

  labelled("grafana admin password through $__file with a sops path", "hosts/monitor/grafana-good.nix", `
    { config, ... }:
    {
      sops.secrets.grafana-admin.owner = "grafana";
      sops.secrets.grafana-secret-key.owner = "grafana";
      services.grafana.settings.security = {
        admin_user = "admin";
        admin_password = "$__file{\${config.sops.secrets.grafana-admin.path}}";
        secret_key = "$__file{/run/secrets/grafana-secret-key}";
      };
    }
  `),

  // --- runtime secret locations --------------------------------------------------------------
  labelled("secret file options pointing at runtime paths", "hosts/app-1/services.nix", `
    { config, ... }:
    {
      services.tailscale = {
        enable = true;
        authKeyFile = config.age.secrets.tailscale.path;
      };
      services.restic.backups.b2 = {
        repository = "b2:acme-app-1";
        passwordFile = "/run/agenix/restic";
        environmentFile = "/run/secrets/restic-b2.env";
        paths = [ "/var/lib/app" ];
      };
      services.vaultwarden = {
        enable = true;
        environmentFile = "/var/lib/vaultwarden/vaultwarden.env";
        config = { DOMAIN = "https://vault.acme.dev"; SIGNUPS_ALLOWED = false; };
      };
      security.acme.certs."acme.dev" = {
        dnsProvider = "cloudflare";
        environmentFile = "/run/secrets/acme-cloudflare.env";
      };
      networking.wireguard.interfaces.wg0.privateKeyFile = "/run/agenix/wg";
    }
  `),

  labelled("LoadCredential and bearer_token_file", "hosts/monitor/credentials.nix", `
    { ... }:
    {
      systemd.services.uptime-exporter.serviceConfig = {
        LoadCredential = [ "token:/run/secrets/uptime-token" ];
        Environment = [ "TOKEN_FILE=%d/token" ];
      };
      services.prometheus.scrapeConfigs = [
        {
          job_name = "hass";
          metrics_path = "/api/prometheus";
          bearer_token_file = "/run/secrets/hass-token";
          static_configs = [ { targets = [ "hass.lan:8123" ]; } ];
        }
      ];
    }
  `),

  labelled("nginx basicAuthFile and ssl key path strings", "hosts/edge/nginx-good.nix", `
    { config, ... }:
    {
      services.nginx.virtualHosts."status.acme.dev" = {
        forceSSL = true;
        sslCertificate = "/var/lib/acme/status.acme.dev/fullchain.pem";
        sslCertificateKey = "/var/lib/acme/status.acme.dev/key.pem";
        basicAuthFile = config.age.secrets.htpasswd.path;
        locations."/".root = "/var/www/status";
      };
    }
  `),

  labelled("ssh host keys and initrd keys as string paths", "hosts/nas/ssh-good.nix", `
    { ... }:
    {
      services.openssh.hostKeys = [
        { path = "/etc/ssh/ssh_host_ed25519_key"; type = "ed25519"; }
      ];
      boot.initrd.network.ssh = {
        enable = true;
        hostKeys = [ "/etc/secrets/initrd/ssh_host_ed25519_key" ];
      };
    }
  `),

  labelled("nix-serve and signing key at runtime paths", "hosts/cache/good.nix", `
    { config, ... }:
    {
      services.nix-serve = {
        enable = true;
        secretKeyFile = "/var/lib/nix-serve/cache-priv-key.pem";
      };
      nix.settings.secret-key-files = [ config.age.secrets.cache-signing-key.path ];
    }
  `),

  labelled("wireless networks through secretsFile and ext: references", "hosts/laptop/wifi-good.nix", `
    { config, ... }:
    {
      networking.wireless = {
        enable = true;
        secretsFile = config.sops.secrets.wireless.path;
        networks = {
          "AcmeCorp".pskRaw = "ext:psk_acme";
          "Home".pskRaw = "ext:psk_home";
          "Cafe" = { };
        };
      };
    }
  `),

  // --- options, docs and names that merely mention secrets -----------------------------------
  labelled("module options documenting password and token settings", "modules/acme-app/options.nix", `
    { lib, ... }:
    with lib;
    {
      options.acme.app = {
        database.passwordFile = mkOption {
          type = types.nullOr types.path;
          default = null;
          example = "/run/secrets/acme-app-db-password";
          description = "File containing the database password, read at service start.";
        };
        database.password = mkOption {
          type = types.str;
          default = "";
          example = "correct-horse-battery-staple";
          description = ''
            Database password. Deprecated: the value ends up in the Nix store;
            use {option}\`acme.app.database.passwordFile\` instead.
          '';
        };
        apiToken = mkOption {
          type = types.nullOr types.str;
          default = null;
          defaultText = literalExpression "null";
          example = literalExpression ''"s3cr3t-t0ken-value"'';
          description = "API token (prefer apiTokenFile).";
        };
      };
    }
  `),

  labelled("empty strings and nulls in password-named options", "hosts/app-3/defaults.nix", `
    { lib, ... }:
    {
      services.gitea.database.password = "";
      services.redis.servers."".requirePass = null;
      users.users.guest.hashedPassword = null;
      acme.app.database.password = lib.mkDefault "";
      services.grafana.settings.smtp.password = "";
    }
  `),

  labelled("openssh hardening with password-named booleans", "modules/ssh-hardening.nix", `
    { lib, ... }:
    {
      services.openssh = {
        enable = true;
        settings = {
          PasswordAuthentication = false;
          KbdInteractiveAuthentication = false;
          PermitRootLogin = "prohibit-password";
        };
      };
      security.sudo.wheelNeedsPassword = false;
      security.pam.services.sshd.unixAuth = lib.mkForce false;
    }
  `),

  labelled("postgresql authentication and password_encryption", "hosts/db-1/postgres-good.nix", `
    { lib, pkgs, ... }:
    {
      services.postgresql = {
        enable = true;
        package = pkgs.postgresql_16;
        ensureDatabases = [ "app" "grafana" ];
        ensureUsers = [
          { name = "app"; ensureDBOwnership = true; }
          { name = "grafana"; ensureDBOwnership = true; }
        ];
        settings = {
          password_encryption = "scram-sha-256";
          listen_addresses = lib.mkForce "10.0.0.10";
        };
        authentication = lib.mkOverride 10 ''
          #type database  DBuser  origin-address  auth-method
          local all       all                     peer
          host  all       all     127.0.0.1/32    scram-sha-256
          host  all       all     10.0.0.0/24     scram-sha-256
        '';
      };
    }
  `),

  labelled("attribute names with key/token words that hold no secret", "hosts/laptop/desktop.nix", `
    { pkgs, ... }:
    {
      console.keyMap = "de";
      services.xserver.xkb = { layout = "de"; options = "ctrl:nocaps"; };
      boot.initrd.luks.devices.cryptroot = {
        device = "/dev/disk/by-uuid/${fake.uuid()}";
        keyFile = "/dev/disk/by-id/usb-SanDisk_Cruzer_4C530001-0:0-part2";
        keyFileSize = 4096;
        allowDiscards = true;
      };
      boot.initrd.secrets = { "/crypto_keyfile.bin" = null; };
      services.gnome.gnome-keyring.enable = true;
      security.pam.services.login.enableGnomeKeyring = true;
      programs.gnupg.agent = { enable = true; pinentryPackage = pkgs.pinentry-gnome3; };
      networking.hostId = "${fake.hostId()}";
    }
  `),

  labelled("hardware-configuration with uuids", "hosts/web-1/hardware-configuration.nix", `
    { config, lib, pkgs, modulesPath, ... }:
    {
      imports = [ (modulesPath + "/installer/scan/not-detected.nix") ];
      boot.initrd.availableKernelModules = [ "xhci_pci" "ahci" "nvme" "usbhid" ];
      boot.kernelModules = [ "kvm-amd" ];
      fileSystems."/" = {
        device = "/dev/disk/by-uuid/${fake.uuid()}";
        fsType = "ext4";
      };
      fileSystems."/boot" = {
        device = "/dev/disk/by-uuid/${fake.hostId().toUpperCase().slice(0, 4)}-${fake.hostId().toUpperCase().slice(0, 4)}";
        fsType = "vfat";
        options = [ "fmask=0077" "dmask=0077" ];
      };
      swapDevices = [ { device = "/dev/disk/by-uuid/${fake.uuid()}"; } ];
      nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
      hardware.cpu.amd.updateMicrocode = lib.mkDefault config.hardware.enableRedistributableFirmware;
    }
  `),

  labelled("store paths and interpolated packages", "hosts/app-1/units.nix", `
    { pkgs, ... }:
    {
      systemd.services.report = {
        serviceConfig.ExecStart = "\${pkgs.python3}/bin/python3 /nix/store/${fake.storeHash()}-report/bin/report.py";
        environment.PYTHONPATH = "/nix/store/${fake.storeHash()}-python3.12-requests-2.32.3/lib/python3.12/site-packages";
      };
      environment.etc."report/config.toml".source = pkgs.writeText "report.toml" ''
        [output]
        directory = "/var/lib/report"
        format = "html"
      '';
    }
  `),

  labelled("URLs without credentials and a DSN with only a public key", "hosts/app-1/urls.nix", `
    { ... }:
    {
      systemd.services.app.environment = {
        DATABASE_URL = "postgresql:///app?host=/run/postgresql";
        REDIS_URL = "redis://localhost:6379/0";
        SENTRY_DSN = "https://${fake.sha256Hex().slice(0, 32)}@sentry.acme.dev/12";
        UPSTREAM = "https://user@git.acme.dev/ops/config.git";
        PROXY = "http://proxy.acme.internal:3128";
      };
    }
  `),

  labelled("comments and strings that mention <nixpkgs>", "hosts/web-1/nix-path.nix", `
    { inputs, ... }:
    {
      # Pin <nixpkgs> for nix-shell to the flake input instead of the channel.
      nix.nixPath = [ "nixpkgs=\${inputs.nixpkgs}" ];
      nix.registry.nixpkgs.flake = inputs.nixpkgs;
      nix.channel.enable = false;
      environment.etc."motd".text = "Use 'nix shell nixpkgs#hello', not <nixpkgs>.";
    }
  `),

  labelled("well-formed suppression of a test-VM password", "hosts/test-vm/vm.nix", `
    { ... }:
    {
      virtualisation.vmVariant = {
        # hostplane-guard: allow store-leak/user-password, secret/literal-credential -- throwaway VM, never deployed
        users.users.root.password = "${fake.password(8)}";
      };
    }
  `),

  // --- flakes, locks and nix.conf ---------------------------------------------------------------
  labelled("flake.nix with full URLs and a matching lock", "flake.nix", `
    {
      description = "acme fleet";
      inputs = {
        nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
        home-manager = {
          url = "github:nix-community/home-manager/release-25.11";
          inputs.nixpkgs.follows = "nixpkgs";
        };
        sops-nix = {
          url = "github:Mic92/sops-nix";
          inputs.nixpkgs.follows = "nixpkgs";
        };
      };
      nixConfig.extra-experimental-features = [ "nix-command" "flakes" ];
      outputs = { self, nixpkgs, home-manager, sops-nix, ... }@inputs:
        let
          mkHost = name: nixpkgs.lib.nixosSystem {
            system = "x86_64-linux";
            specialArgs = { inherit inputs; };
            modules = [
              ./hosts/\${name}
              sops-nix.nixosModules.sops
              home-manager.nixosModules.home-manager
              { networking.hostName = name; }
            ];
          };
        in
        {
          nixosConfigurations = nixpkgs.lib.genAttrs [ "web-1" "web-2" "db-1" ] mkHost;
        };
    }
  `, { siblingLock: fleetLock(["nixpkgs", "home-manager", "sops-nix"]).text }),

  labelled("flake.nix without inputs and without a lock", "templates/minimal/flake.nix", `
    {
      description = "minimal template";
      outputs = { self }: {
        templates.default = { path = ./.; description = "acme host template"; };
      };
    }
  `, { siblingLock: null }),

  {
    name: "well-formed flake.lock with fresh nixpkgs and followed inputs",
    file: "flake.lock",
    text: fleetLock(["nixpkgs", "home-manager", "sops-nix", "flake-utils"]).text,
    expect: [],
  },

  {
    name: "flake.lock with nixpkgs pinned to a fresh rev and a relative path input",
    file: "flake.lock",
    text: lockFile({
      nixpkgs: forgeNode({ owner: "NixOS", repo: "nixpkgs", originalRev: true, rev: fake.gitRev(), narHash: fake.sri(), lastModified: FRESH - 2 * DAY }),
      modules: {
        locked: { lastModified: FRESH, narHash: fake.sri(), path: "./modules", type: "path" },
        original: { path: "./modules", type: "path" },
        parent: [],
      },
    }, { nixpkgs: "nixpkgs", modules: "modules" }).text,
    expect: [],
  },

  {
    name: "flake.lock with unstable nixpkgs and a nixos-hardware input",
    file: "flake.lock",
    text: lockFile({
      "home-manager": fleetNodes()["home-manager"],
      nixpkgs: forgeNode({ owner: "NixOS", repo: "nixpkgs", ref: "nixos-unstable", rev: fake.gitRev(), narHash: fake.sri(), lastModified: FRESH }),
      "nixos-hardware": forgeNode({ owner: "NixOS", repo: "nixos-hardware", rev: fake.gitRev(), narHash: fake.sri(), lastModified: FRESH - 40 * DAY }),
    }, { nixpkgs: "nixpkgs", "nixos-hardware": "nixos-hardware", "home-manager": "home-manager" }).text,
    expect: [],
  },

  labelled("standard nix.conf", "nix.conf", `
    # Managed by ansible for the non-NixOS CI runners
    build-users-group = nixbld
    experimental-features = nix-command flakes
    substituters = https://cache.nixos.org/
    trusted-public-keys = ${CACHE_NIXOS_ORG_KEY}
    require-sigs = true
    sandbox = true
    trusted-users = root
    allowed-users = *
    max-jobs = auto
    cores = 0
    accept-flake-config = false
    secret-key-files = /etc/nix/signing-key.sec
  `),

  labelled("company cache on the allowlist with its key", "modules/nix/acme-cache-good.nix", `
    { ... }:
    {
      nix.settings = {
        substituters = [ "https://cache.nixos.org" "https://cache.acme.dev?priority=30" ];
        trusted-public-keys = [
          "${CACHE_NIXOS_ORG_KEY}"
          "${ACME_CACHE_KEY}"
        ];
      };
    }
  `, { config: ACME_CACHE_CONFIG }),

  labelled("nix settings in a nixosSystem module list", "flake.nix", `
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
      outputs = { self, nixpkgs }: {
        nixosConfigurations.builder = nixpkgs.lib.nixosSystem {
          system = "aarch64-linux";
          modules = [
            ./hosts/builder
            {
              nix.settings = {
                trusted-users = [ "root" ];
                substituters = [ "https://cache.nixos.org" ];
                accept-flake-config = false;
                sandbox = true;
              };
              nix.gc.automatic = true;
            }
          ];
        };
      };
    }
  `, { siblingLock: fleetLock(["nixpkgs"]).text }),

  labelled("package pinned with pkgs.fetchFromGitHub inside an overlay", "overlays/default.nix", `
    final: prev: {
      acme-cli = prev.acme-cli.overrideAttrs (old: rec {
        version = "3.2.0";
        src = prev.fetchFromGitHub {
          owner = "acme";
          repo = "cli";
          rev = "v\${version}";
          hash = "${fake.sri()}";
        };
      });
      nix-direnv = prev.nix-direnv.override { enableFlakes = true; };
    }
  `),

  labelled("home-manager git config with signing key id and credential helper", "home/alice/git-good.nix", `
    { pkgs, ... }:
    {
      programs.git = {
        enable = true;
        signing = {
          key = "${fake.sshEd25519Public()}";
          signByDefault = true;
        };
        extraConfig = {
          gpg.format = "ssh";
          credential.helper = "\${pkgs.git-credential-oauth}/bin/git-credential-oauth";
          url."git@github.com:".insteadOf = "https://github.com/";
        };
      };
    }
  `),

  labelled("kanidm server with tls paths and home-assistant auth providers", "hosts/idp/kanidm.nix", `
    { ... }:
    {
      services.kanidm = {
        enableServer = true;
        serverSettings = {
          domain = "id.acme.dev";
          origin = "https://id.acme.dev";
          tls_chain = "/var/lib/acme/id.acme.dev/fullchain.pem";
          tls_key = "/var/lib/acme/id.acme.dev/key.pem";
        };
      };
      services.home-assistant.config = {
        http.use_x_forwarded_for = true;
        homeassistant.auth_providers = [ { type = "homeassistant"; } { type = "trusted_networks"; trusted_networks = [ "10.0.0.0/24" ]; } ];
      };
    }
  `),

  labelled("mosquitto and zigbee2mqtt with password files", "hosts/home/mqtt-good.nix", `
    { config, ... }:
    {
      services.mosquitto.listeners = [
        {
          users.zigbee2mqtt = {
            passwordFile = config.sops.secrets.mqtt-z2m.path;
            acl = [ "readwrite #" ];
          };
          users.hass.hashedPasswordFile = "/run/secrets/mqtt-hass-hash";
        }
      ];
      services.zigbee2mqtt.settings.mqtt = {
        server = "mqtt://localhost:1883";
        user = "zigbee2mqtt";
        password = "!secret mqtt_password";
      };
    }
  `),

  labelled("users with hashedPasswordFile and immutable users", "hosts/db-1/users-good.nix", `
    { config, pkgs, ... }:
    {
      users.mutableUsers = false;
      users.users.root.hashedPasswordFile = config.age.secrets.root-password.path;
      users.users.ops = {
        isNormalUser = true;
        extraGroups = [ "wheel" ];
        hashedPasswordFile = "/run/agenix/ops-password";
        openssh.authorizedKeys.keyFiles = [ ../../keys/ops.pub ];
        shell = pkgs.fish;
      };
      programs.fish.enable = true;
    }
  `),

  labelled("getEnv of non-secret variables", "nix/impure-info.nix", `
    let
      home = builtins.getEnv "HOME";
      user = builtins.getEnv "USER";
      system = builtins.currentSystem;
    in
    {
      inherit home user system;
      ci = builtins.getEnv "CI" == "true";
    }
  `),

  labelled("readFile of non-secret files", "hosts/web-1/motd.nix", `
    { lib, ... }:
    {
      users.motd = builtins.readFile ./motd.txt;
      environment.etc."issue".text = lib.fileContents ./issue;
      services.nginx.virtualHosts."acme.dev".extraConfig = builtins.readFile ./nginx/security-headers.conf;
      users.users.alice.openssh.authorizedKeys.keys = lib.splitString "\\n" (builtins.readFile ../../keys/alice.pub);
    }
  `),

  labelled("grafana admin via $__env and provisioning with secureJsonData from files", "hosts/monitor/grafana-env.nix", `
    { ... }:
    {
      systemd.services.grafana.serviceConfig.EnvironmentFile = "/run/secrets/grafana.env";
      services.grafana.settings.security.admin_password = "$__env{GRAFANA_ADMIN_PASSWORD}";
      services.grafana.provision.datasources.settings.datasources = [
        {
          name = "Postgres";
          type = "postgres";
          url = "db.acme.internal:5432";
          user = "grafana_ro";
          secureJsonData.password = "$__file{/run/secrets/grafana-ro-password}";
        }
      ];
    }
  `),
];
