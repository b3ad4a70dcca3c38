/**
 * Positive cases for cache-trust/* (Nix settings in modules, nix.conf files and
 * flake nixConfig) and for the guard/* meta rules.
 */
import { CACHE_NIXOS_ORG_KEY, NIX_COMMUNITY_KEY, fake } from "./fake.js";
import { labelled } from "./label.js";
import { fleetLock } from "./locks.js";
import type { LabelledCase } from "./types.js";

const ACME_CACHE_KEY = "cache.acme.dev-1:" + fake.wireguardPublicKey();
const ACME_INTERNAL_KEY = "nix-cache.acme.internal-1:" + fake.wireguardPublicKey();
const LAN_KEY = "nas.lan-1:" + fake.wireguardPublicKey();

/** Guard config for a fleet that also runs its own caches. */
export const ACME_CACHE_CONFIG = `substituters:
  - url: https://cache.nixos.org
    keys: ["${CACHE_NIXOS_ORG_KEY}"]
  - url: https://cache.acme.dev
    keys: ["${ACME_CACHE_KEY}"]
  - url: http://nix-cache.acme.internal
    keys: ["${ACME_INTERNAL_KEY}"]
trustedKeys:
  - ${CACHE_NIXOS_ORG_KEY}
  - ${ACME_CACHE_KEY}
  - ${ACME_INTERNAL_KEY}
`;

export { ACME_CACHE_KEY, ACME_INTERNAL_KEY };

export const CACHE_TRUST_CASES: LabelledCase[] = [
  // --- cache-trust/require-sigs-disabled -------------------------------------
  labelled("require-sigs off for lab machines under mkIf", "modules/lab.nix", `
    { config, lib, ... }:
    {
      options.acme.lab = lib.mkEnableOption "lab machine defaults";
      config = lib.mkIf config.acme.lab {
        nix.settings = {
          require-sigs = false; «cache-trust/require-sigs-disabled»
          max-jobs = "auto";
        };
      };
    }
  `),

  labelled("require-sigs off in nix.extraOptions", "hosts/build-3/nix.nix", `
    { ... }:
    {
      nix.extraOptions = ''
        keep-outputs = true
        keep-derivations = true
        require-sigs = false «cache-trust/require-sigs-disabled»
      '';
    }
  `),

  labelled("require-sigs off in nix.conf", "nix.conf", `
    # /etc/nix/nix.conf on the non-NixOS build hosts
    build-users-group = nixbld
    experimental-features = nix-command flakes
    require-sigs = false «cache-trust/require-sigs-disabled»
    max-jobs = auto
  `),

  labelled("substituter with ?trusted=1", "hosts/build-3/cache.nix", `
    { ... }:
    {
      nix.settings.substituters = [
        "https://cache.nixos.org"
        "https://cache.acme.dev?trusted=1" «cache-trust/require-sigs-disabled cache-trust/substituter-not-allowed»
      ];
    }
  `),

  // --- cache-trust/substituter-not-allowed ---------------------------------------
  labelled("nix-community cachix added to nix.settings", "modules/nix/caches.nix", `
    { ... }:
    {
      nix.settings = {
        extra-substituters = [ "https://nix-community.cachix.org" ]; «cache-trust/substituter-not-allowed»
        extra-trusted-public-keys = [ "${NIX_COMMUNITY_KEY}" ]; «cache-trust/untrusted-public-key»
      };
    }
  `),

  labelled("devenv cachix in nix.conf", "nix.conf", `
    substituters = https://cache.nixos.org/
    trusted-public-keys = ${CACHE_NIXOS_ORG_KEY}
    extra-substituters = https://devenv.cachix.org «cache-trust/substituter-not-allowed»
    extra-trusted-public-keys = devenv.cachix.org-1:w1cLUi8dv3hnoSPGAuibQv+f9TZLr6cv/Hm9XgU50cw= «cache-trust/untrusted-public-key»
  `),

  labelled("trusted-substituters in an mkMerge", "modules/nix/builders.nix", `
    { lib, ... }:
    {
      nix.settings = lib.mkMerge [
        { trusted-users = [ "root" ]; }
        { trusted-substituters = [ "https://hydra.acme.dev" ]; } «cache-trust/substituter-not-allowed»
      ];
    }
  `),

  labelled("substituter url with credentials", "hosts/build-4/nix.nix", `
    { ... }:
    {
      nix.settings.extra-substituters = [ "https://ci:${fake.password(20)}@cache.private.acme.dev" ]; «cache-trust/substituter-not-allowed secret/url-password»
    }
  `),

  // --- cache-trust/insecure-substituter ---------------------------------------------
  labelled("allowed internal cache over plain http", "hosts/build-5/nix.nix", `
    { ... }:
    {
      nix.settings = {
        substituters = [
          "http://nix-cache.acme.internal" «cache-trust/insecure-substituter»
          "https://cache.nixos.org"
        ];
        trusted-public-keys = [
          "${ACME_INTERNAL_KEY}"
          "${CACHE_NIXOS_ORG_KEY}"
        ];
      };
    }
  `, { config: ACME_CACHE_CONFIG }),

  labelled("LAN nix-serve over http with default policy", "hosts/desktop/nix.nix", `
    { ... }:
    {
      nix.settings = {
        extra-substituters = [ "http://10.0.0.5:5000" ]; «cache-trust/insecure-substituter cache-trust/substituter-not-allowed»
        extra-trusted-public-keys = [ "${LAN_KEY}" ]; «cache-trust/untrusted-public-key»
      };
    }
  `),

  // --- cache-trust/substituter-without-key -----------------------------------------
  labelled("allowed company cache listed without its key", "modules/nix/acme-cache.nix", `
    { ... }:
    {
      nix.settings = {
        substituters = [ "https://cache.nixos.org" "https://cache.acme.dev" ]; «cache-trust/substituter-without-key»
        trusted-public-keys = [ "${CACHE_NIXOS_ORG_KEY}" ];
      };
    }
  `, { config: ACME_CACHE_CONFIG }),

  labelled("trusted-public-keys replaced, cache.nixos.org key dropped", "nix.conf", `
    substituters = https://cache.nixos.org/ «cache-trust/substituter-without-key»
    trusted-public-keys = nas.lan-1:${fake.wireguardPublicKey()} «cache-trust/untrusted-public-key»
  `),

  // --- cache-trust/untrusted-public-key -----------------------------------------------
  labelled("remote builder key trusted fleet-wide", "modules/nix/remote-builds.nix", `
    { ... }:
    {
      nix.buildMachines = [
        { hostName = "builder-1.acme.dev"; system = "x86_64-linux"; maxJobs = 16; supportedFeatures = [ "kvm" "big-parallel" ]; }
      ];
      nix.distributedBuilds = true;
      nix.settings.trusted-public-keys = [
        "${CACHE_NIXOS_ORG_KEY}"
        "builder-1.acme.dev:${fake.wireguardPublicKey()}" «cache-trust/untrusted-public-key»
      ];
    }
  `),

  // --- cache-trust/trusted-users-broad ---------------------------------------------------
  labelled("wheel as trusted users in a nix attrset", "modules/nix/default.nix", `
    { lib, ... }:
    {
      nix = {
        settings = {
          experimental-features = [ "nix-command" "flakes" ];
          trusted-users = [ "root" "@wheel" ]; «cache-trust/trusted-users-broad»
        };
        gc = {
          automatic = true;
          dates = "weekly";
          options = "--delete-older-than 14d";
        };
      };
    }
  `),

  labelled("deploy user trusted with mkForce", "modules/deploy.nix", `
    { lib, ... }:
    {
      users.users.deploy = {
        isSystemUser = true;
        group = "deploy";
        openssh.authorizedKeys.keys = [ "${fake.sshEd25519Public()} ci@acme" ];
      };
      users.groups.deploy = { };
      nix.settings.trusted-users = lib.mkForce [ "root" "deploy" ]; «cache-trust/trusted-users-broad»
    }
  `),

  labelled("old nix.trustedUsers option", "hosts/legacy/nix.nix", `
    { ... }:
    {
      nix.trustedUsers = [ "root" "@wheel" ]; «cache-trust/trusted-users-broad»
      nix.useSandbox = true;
    }
  `),

  labelled("trusted-users in nix.conf", "nix.conf", `
    build-users-group = nixbld
    trusted-users = root @wheel deploy «cache-trust/trusted-users-broad»
    auto-optimise-store = true
  `),

  labelled("trusted-users in a nixosSystem inline module", "flake.nix", `
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
      outputs = { self, nixpkgs }: {
        nixosConfigurations.ci-1 = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [
            ./hosts/ci-1
            ({ ... }: {
              nix.settings.trusted-users = [ "root" "github-runner" ]; «cache-trust/trusted-users-broad»
            })
          ];
        };
      };
    }
  `, { siblingLock: fleetLock(["nixpkgs"]).text }),

  // --- cache-trust/accept-flake-config -------------------------------------------------
  labelled("accept-flake-config in nix.settings", "modules/nix/dev.nix", `
    { ... }:
    {
      nix.settings = {
        accept-flake-config = true; «cache-trust/accept-flake-config»
        keep-outputs = true;
      };
    }
  `),

  labelled("accept-flake-config in nix.conf", "nix.conf", `
    experimental-features = nix-command flakes
    accept-flake-config = true «cache-trust/accept-flake-config»
  `),

  labelled("accept-flake-config in extraOptions", "hosts/devbox/nix.nix", `
    { lib, ... }:
    {
      nix.extraOptions = lib.mkAfter "accept-flake-config = true"; «cache-trust/accept-flake-config»
    }
  `),

  // --- cache-trust/flake-extra-substituters -----------------------------------------------
  labelled("flake nixConfig adding hyprland cachix", "flake.nix", `
    {
      description = "alice's desktop";
      nixConfig = {
        extra-substituters = [ "https://hyprland.cachix.org" ]; «cache-trust/flake-extra-substituters ?cache-trust/substituter-not-allowed»
        extra-trusted-public-keys = [ "hyprland.cachix.org-1:a7pgxzMz7+chwVL3/pzj6jIBMioiJM7ypFP8PwtkuGc=" ]; «cache-trust/flake-extra-substituters ?cache-trust/untrusted-public-key»
      };
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
      outputs = { self, nixpkgs, ... }: {
        nixosConfigurations.desktop = nixpkgs.lib.nixosSystem { system = "x86_64-linux"; modules = [ ./configuration.nix ]; };
      };
    }
  `, { siblingLock: fleetLock(["nixpkgs"]).text }),

  labelled("flake nixConfig.substituters in dotted form", "flake.nix", `
    {
      nixConfig.substituters = [ "https://cache.nixos.org" "https://acme.cachix.org" ]; «cache-trust/flake-extra-substituters ?cache-trust/substituter-not-allowed»
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
      outputs = { self, nixpkgs }: { };
    }
  `, { siblingLock: fleetLock(["nixpkgs"]).text }),

  // --- cache-trust/secret-key-files-in-store --------------------------------------------
  labelled("secret-key-files as a path literal", "hosts/cache/signing.nix", `
    { ... }:
    {
      nix.settings.secret-key-files = [ ./keys/cache-priv-key.pem ]; «cache-trust/secret-key-files-in-store ?store-leak/secret-path-literal»
    }
  `),

  labelled("secret-key-files pointing into /nix/store in nix.conf", "nix.conf", `
    substituters = https://cache.nixos.org/
    trusted-public-keys = ${CACHE_NIXOS_ORG_KEY}
    secret-key-files = /nix/store/${fake.storeHash()}-cache-priv-key.pem «cache-trust/secret-key-files-in-store»
  `),

  labelled("secret-key-files interpolated into extraOptions", "hosts/builder/nix.nix", `
    { ... }:
    {
      nix.extraOptions = ''
        secret-key-files = \${./builder-signing.sec} «cache-trust/secret-key-files-in-store ?store-leak/secret-path-literal»
      '';
    }
  `),

  // --- cache-trust/invalid-setting ------------------------------------------------------
  labelled("nix.conf line without spaces around =", "nix.conf", `
    substituters = https://cache.nixos.org/
    require-sigs=true «cache-trust/invalid-setting»
  `),

  labelled("nix.conf boolean with a non-boolean value", "nix.conf", `
    experimental-features = nix-command flakes
    require-sigs = enabled «cache-trust/invalid-setting»
  `),

  labelled("truncated public key in nix.conf", "nix.conf", `
    substituters = https://cache.nixos.org/ «?cache-trust/substituter-without-key»
    trusted-public-keys = cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQ «cache-trust/invalid-setting ?cache-trust/untrusted-public-key»
  `),

  // --- guard/parse-error ----------------------------------------------------------------
  labelled("module missing a semicolon", "hosts/web-3/default.nix", `
    { ... }:
    {
      networking.hostName = "web-3" «guard/parse-error+1»
      services.nginx.enable = true;
    }
  `),

  labelled("unbalanced module still containing a token", "hosts/web-4/default.nix", `
    { pkgs, ... }:
    {
      environment.systemPackages = [ pkgs.git ; «guard/parse-error+1»
      nix.settings.access-tokens = [ "github.com=${fake.githubPat()}" ]; «secret/github-token»
    }
  `),

  // --- guard/invalid-suppression -----------------------------------------------------------
  labelled("suppression without a reason", "hosts/test-vm/default.nix", `
    { ... }:
    {
      # hostplane-guard: allow store-leak/user-password «guard/invalid-suppression»
      users.users.root.password = "${fake.password(12)}"; «store-leak/user-password ?secret/literal-credential»
    }
  `),

  labelled("suppression naming an unknown rule", "hosts/test-vm/grafana.nix", `
    { ... }:
    {
      services.grafana.settings.security.admin_password = "${fake.password(16)}"; # hostplane-guard: allow secrets/password -- test VM only «guard/invalid-suppression store-leak/service-secret-option secret/literal-credential»
    }
  `),
];
