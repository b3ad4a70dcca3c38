/**
 * Positive cases for pinning/*: NIX_PATH lookups, unpinned builtin fetchers,
 * registry-resolved flake inputs, and flake.lock files that pin nothing, pin
 * the wrong thing, or pin something stale.
 */
import { DAY, NOW_SECONDS } from "./clock.js";
import { fake } from "./fake.js";
import { forgeNode, labelled, lockFile } from "./label.js";
import { FRESH, fleetLock, fleetNodes } from "./locks.js";
import type { LabelledCase } from "./types.js";

const FLAKE_OUTPUTS = `
      outputs = { self, nixpkgs, ... }@inputs: {
        nixosConfigurations.web-1 = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          specialArgs = { inherit inputs; };
          modules = [ ./hosts/web-1 ];
        };
      };`;

function lockCase(name: string, nodes: Record<string, unknown>, rootInputs: Record<string, string | string[]>, expect: Array<[rule: string, node: string, optional?: boolean]>, config?: string): LabelledCase {
  const lock = lockFile(nodes, rootInputs);
  const c: LabelledCase = {
    name, file: "flake.lock", text: lock.text,
    expect: expect.map(([rule, node, optional]) => ({ ruleId: rule, ...lock.range(node), ...(optional ? { optional } : {}) })),
  };
  if (config !== undefined) c.config = config;
  return c;
}

const nodes = fleetNodes();

export const PINNING_CASES: LabelledCase[] = [
  // --- pinning/search-path ---------------------------------------------------
  labelled("shell.nix defaulting pkgs to <nixpkgs>", "shell.nix", `
    { pkgs ? import <nixpkgs> { } }: «pinning/search-path»
    pkgs.mkShell {
      packages = with pkgs; [ colmena sops age ssh-to-age ];
      shellHook = ''
        export SOPS_AGE_KEY_FILE=$HOME/.config/sops/age/keys.txt
      '';
    }
  `),

  labelled("configuration.nix importing channel modules", "hosts/t14/configuration.nix", `
    { config, pkgs, ... }:
    {
      imports = [
        ./hardware-configuration.nix
        <home-manager/nixos> «pinning/search-path»
        <nixos-hardware/lenovo/thinkpad/t14> «pinning/search-path»
      ];
      home-manager.useGlobalPkgs = true;
      system.stateVersion = "25.05";
    }
  `),

  labelled("unstable channel imported in a let", "hosts/desktop/packages.nix", `
    { config, pkgs, ... }:
    let
      unstable = import <nixos-unstable> { config = config.nixpkgs.config; }; «pinning/search-path»
    in
    {
      nixpkgs.config.allowUnfree = true;
      environment.systemPackages = [ pkgs.firefox unstable.vscode unstable.zed-editor ];
    }
  `),

  labelled("default.nix with `with import <nixpkgs>`", "pkgs/report-tool/default.nix", `
    with import <nixpkgs> { }; «pinning/search-path»
    python3Packages.buildPythonApplication {
      pname = "report-tool";
      version = "0.3.1";
      src = ./.;
      pyproject = true;
      build-system = [ python3Packages.setuptools ];
      dependencies = with python3Packages; [ requests jinja2 ];
    }
  `),

  // --- pinning/unpinned-fetch ---------------------------------------------------
  labelled("home-manager tarball by branch url", "hosts/old-laptop/configuration.nix", `
    { config, pkgs, ... }:
    let
      home-manager = builtins.fetchTarball "https://github.com/nix-community/home-manager/archive/release-25.11.tar.gz"; «pinning/unpinned-fetch»
    in
    {
      imports = [
        ./hardware-configuration.nix
        (import "\${home-manager}/nixos")
      ];
      home-manager.users.alice = import ./home.nix;
    }
  `),

  labelled("fetchGit by ref only, interpolated into imports", "hosts/app-6/default.nix", `
    { ... }:
    {
      imports = [
        "\${builtins.fetchGit { url = "https://github.com/acme/nix-modules.git"; ref = "main"; }}/common.nix" «pinning/unpinned-fetch»
        ./hardware.nix
      ];
    }
  `),

  labelled("fetchTarball attrset with url but no hash", "nix/pkgs.nix", `
    let
      nixpkgs = fetchTarball { «pinning/unpinned-fetch+2»
        url = "https://github.com/NixOS/nixpkgs/archive/nixos-25.11.tar.gz";
      };
    in
    import nixpkgs {
      config = { };
      overlays = [ (import ../overlays) ];
    }
  `),

  labelled("fetchTree of a github branch", "nix/sources.nix", `
    {
      nixpkgs = builtins.fetchTree { «pinning/unpinned-fetch+5»
        type = "github";
        owner = "NixOS";
        repo = "nixpkgs";
        ref = "nixos-unstable";
      };
    }
  `),

  labelled("fetchurl of an install script", "hosts/build-2/agent.nix", `
    { pkgs, ... }:
    {
      systemd.services.vendor-agent = {
        wantedBy = [ "multi-user.target" ];
        path = [ pkgs.bash pkgs.curl ];
        script = "bash \${builtins.fetchurl "https://downloads.vendor.example/agent/install.sh"}"; «pinning/unpinned-fetch»
      };
    }
  `),

  // --- pinning/indirect-flake-input ------------------------------------------
  labelled("flake inputs through the registry (flake: and bare id)", "flake.nix", `
    {
      description = "acme fleet";
      inputs = {
        nixpkgs.url = "flake:nixpkgs/nixos-25.11"; «pinning/indirect-flake-input»
        home-manager = {
          url = "home-manager"; «pinning/indirect-flake-input»
          inputs.nixpkgs.follows = "nixpkgs";
        };
        sops-nix.url = "github:Mic92/sops-nix";
        sops-nix.inputs.nixpkgs.follows = "nixpkgs";
      };
    ${FLAKE_OUTPUTS}
    }
  `, { siblingLock: fleetLock(["nixpkgs", "home-manager", "sops-nix"]).text }),

  labelled("indirect input as an attrset", "flake.nix", `
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
      inputs.flake-utils = { type = "indirect"; id = "flake-utils"; }; «pinning/indirect-flake-input»
      outputs = { self, nixpkgs, flake-utils }:
        flake-utils.lib.eachDefaultSystem (system: {
          devShells.default = nixpkgs.legacyPackages.\${system}.mkShell { packages = [ nixpkgs.legacyPackages.\${system}.just ]; };
        });
    }
  `, { siblingLock: fleetLock(["nixpkgs", "flake-utils"]).text }),

  // --- pinning/input-not-locked ------------------------------------------------
  labelled("flake.nix inputs missing from flake.lock", "flake.nix", `
    {
      inputs = {
        nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
        home-manager.url = "github:nix-community/home-manager/release-25.11";
        home-manager.inputs.nixpkgs.follows = "nixpkgs";
        agenix.url = "github:ryantm/agenix"; «pinning/input-not-locked»
        disko = { «pinning/input-not-locked+1»
          url = "github:nix-community/disko";
          inputs.nixpkgs.follows = "nixpkgs";
        };
      };
    ${FLAKE_OUTPUTS}
    }
  `, { siblingLock: fleetLock(["nixpkgs", "home-manager"]).text }),

  // --- pinning/missing-flake-lock ------------------------------------------------
  labelled("flake.nix with inputs and no flake.lock", "infra/flake.nix", `
    {
      description = "acme infra";
      inputs = { «pinning/missing-flake-lock+4»
        nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
        deploy-rs.url = "github:serokell/deploy-rs";
        deploy-rs.inputs.nixpkgs.follows = "nixpkgs";
      };
    ${FLAKE_OUTPUTS}
    }
  `, { siblingLock: null }),

  // --- pinning/lock-malformed --------------------------------------------------
  labelled("flake.lock with merge conflict markers", "flake.lock", `
    {
      "nodes": {
        "nixpkgs": {
          "locked": {
    <<<<<<< HEAD «pinning/lock-malformed»
            "lastModified": ${FRESH},
            "narHash": "${fake.sri()}",
            "owner": "NixOS",
            "repo": "nixpkgs",
            "rev": "${fake.gitRev()}",
    =======
            "lastModified": ${FRESH - 7 * DAY},
            "narHash": "${fake.sri()}",
            "owner": "NixOS",
            "repo": "nixpkgs",
            "rev": "${fake.gitRev()}",
    >>>>>>> renovate/lock-file-maintenance
            "type": "github"
          },
          "original": {
            "owner": "NixOS",
            "ref": "nixos-25.11",
            "repo": "nixpkgs",
            "type": "github"
          }
        },
        "root": {
          "inputs": {
            "nixpkgs": "nixpkgs"
          }
        }
      },
      "root": "root",
      "version": 7
    }
  `),

  lockCase("flake.lock root input pointing at a missing node", { nixpkgs: nodes.nixpkgs }, { nixpkgs: "nixpkgs", "home-manager": "home-manager_2" },
    [["pinning/lock-malformed", "root"]]),

  lockCase("flake.lock follows path to an input that does not exist", {
    nixpkgs: nodes.nixpkgs,
    "sops-nix": forgeNode({ owner: "Mic92", repo: "sops-nix", rev: fake.gitRev(), narHash: fake.sri(), lastModified: FRESH, inputs: { nixpkgs: ["nixpkgs-stable"] } }),
  }, { nixpkgs: "nixpkgs", "sops-nix": "sops-nix" }, [["pinning/lock-malformed", "sops-nix"]]),

  // --- pinning/lock-unlocked-input ------------------------------------------------
  lockCase("hand-written lock entry without rev and narHash", {
    nixpkgs: nodes.nixpkgs,
    "acme-modules": {
      locked: { owner: "acme", repo: "nix-modules", type: "github" },
      original: { owner: "acme", repo: "nix-modules", type: "github" },
    },
  }, { nixpkgs: "nixpkgs", "acme-modules": "acme-modules" }, [["pinning/lock-unlocked-input", "acme-modules"]]),

  lockCase("git input locked without a rev", {
    nixpkgs: nodes.nixpkgs,
    secrets: {
      locked: { lastModified: FRESH, narHash: fake.sri(), ref: "refs/heads/main", type: "git", url: "ssh://git@git.acme.dev/ops/secrets.git" },
      original: { type: "git", url: "ssh://git@git.acme.dev/ops/secrets.git" },
    },
  }, { nixpkgs: "nixpkgs", secrets: "secrets" }, [["pinning/lock-unlocked-input", "secrets"]]),

  // --- pinning/lock-indirect-input -------------------------------------------------
  lockCase("nixpkgs locked through the registry", {
    nixpkgs: {
      locked: { lastModified: FRESH, narHash: fake.sri(), owner: "NixOS", repo: "nixpkgs", rev: fake.gitRev(), type: "github" },
      original: { id: "nixpkgs", type: "indirect" },
    },
  }, { nixpkgs: "nixpkgs" }, [["pinning/lock-indirect-input", "nixpkgs"], ["pinning/nixpkgs-unsupported-branch", "nixpkgs", true]]),

  // --- pinning/lock-path-input --------------------------------------------------
  lockCase("secrets flake taken from a home directory path", {
    nixpkgs: nodes.nixpkgs,
    "fleet-secrets": {
      locked: { lastModified: FRESH, narHash: fake.sri(), path: "/home/alice/src/fleet-secrets", type: "path" },
      original: { path: "/home/alice/src/fleet-secrets", type: "path" },
    },
  }, { nixpkgs: "nixpkgs", "fleet-secrets": "fleet-secrets" }, [["pinning/lock-path-input", "fleet-secrets"]]),

  lockCase("dotfiles via git+file url", {
    nixpkgs: nodes.nixpkgs,
    dotfiles: {
      locked: { lastModified: FRESH, narHash: fake.sri(), ref: "refs/heads/main", rev: fake.gitRev(), revCount: 812, type: "git", url: "file:///home/alice/dotfiles" },
      original: { type: "git", url: "file:///home/alice/dotfiles" },
    },
  }, { nixpkgs: "nixpkgs", dotfiles: "dotfiles" }, [["pinning/lock-path-input", "dotfiles"]]),

  // --- pinning/nixpkgs-unsupported-branch ------------------------------------------
  lockCase("nixpkgs on an end-of-life release", {
    nixpkgs: forgeNode({ owner: "NixOS", repo: "nixpkgs", ref: "nixos-24.05", rev: fake.gitRev(), narHash: fake.sri(), lastModified: NOW_SECONDS - 480 * DAY }),
  }, { nixpkgs: "nixpkgs" }, [["pinning/nixpkgs-unsupported-branch", "nixpkgs"], ["pinning/nixpkgs-too-old", "nixpkgs"]]),

  lockCase("nixpkgs on the default branch (no ref)", {
    nixpkgs: forgeNode({ owner: "NixOS", repo: "nixpkgs", rev: fake.gitRev(), narHash: fake.sri(), lastModified: FRESH }),
    "home-manager": nodes["home-manager"],
  }, { nixpkgs: "nixpkgs", "home-manager": "home-manager" }, [["pinning/nixpkgs-unsupported-branch", "nixpkgs"]]),

  lockCase("transitive nixpkgs of an input that does not follow", {
    nixpkgs: nodes.nixpkgs,
    "nixos-generators": forgeNode({
      owner: "nix-community", repo: "nixos-generators", rev: fake.gitRev(), narHash: fake.sri(), lastModified: FRESH - 30 * DAY,
      inputs: { nixlib: "nixlib", nixpkgs: "nixpkgs_2" },
    }),
    nixlib: forgeNode({ owner: "nix-community", repo: "nixpkgs.lib", rev: fake.gitRev(), narHash: fake.sri(), lastModified: FRESH - 30 * DAY }),
    nixpkgs_2: forgeNode({ owner: "NixOS", repo: "nixpkgs", ref: "nixos-23.11", rev: fake.gitRev(), narHash: fake.sri(), lastModified: NOW_SECONDS - 700 * DAY }),
  }, { nixpkgs: "nixpkgs", "nixos-generators": "nixos-generators" }, [["pinning/nixpkgs-unsupported-branch", "nixpkgs_2"], ["pinning/nixpkgs-too-old", "nixpkgs_2"]]),

  // --- pinning/nixpkgs-too-old ---------------------------------------------------------
  lockCase("nixpkgs last updated four months ago", {
    ...fleetNodes(),
    nixpkgs: forgeNode({ owner: "NixOS", repo: "nixpkgs", ref: "nixos-25.11", rev: fake.gitRev(), narHash: fake.sri(), lastModified: NOW_SECONDS - 120 * DAY }),
  }, { nixpkgs: "nixpkgs", "home-manager": "home-manager", "sops-nix": "sops-nix", "flake-utils": "flake-utils" },
    [["pinning/nixpkgs-too-old", "nixpkgs"]]),

  lockCase("stale transitive nixpkgs of a non-following input", {
    nixpkgs: nodes.nixpkgs,
    "deploy-rs": forgeNode({
      owner: "serokell", repo: "deploy-rs", rev: fake.gitRev(), narHash: fake.sri(), lastModified: NOW_SECONDS - 90 * DAY,
      inputs: { nixpkgs: "nixpkgs_2" },
    }),
    nixpkgs_2: forgeNode({ owner: "NixOS", repo: "nixpkgs", ref: "nixpkgs-unstable", rev: fake.gitRev(), narHash: fake.sri(), lastModified: NOW_SECONDS - 95 * DAY }),
  }, { nixpkgs: "nixpkgs", "deploy-rs": "deploy-rs" }, [["pinning/nixpkgs-too-old", "nixpkgs_2"]]),

  // --- pinning/nixpkgs-owner -----------------------------------------------------------
  lockCase("nixpkgs from a company fork", {
    nixpkgs: forgeNode({ owner: "acme-forks", repo: "nixpkgs", ref: "nixos-25.11", rev: fake.gitRev(), narHash: fake.sri(), lastModified: FRESH }),
  }, { nixpkgs: "nixpkgs" }, [["pinning/nixpkgs-owner", "nixpkgs"]]),

  // --- pinning/input-owner (needs allowedInputOwners) ---------------------------------
  lockCase("input from an owner outside the allowlist", {
    nixpkgs: nodes.nixpkgs,
    "sops-nix": nodes["sops-nix"],
    "nix-tools": forgeNode({ owner: "random-dev", repo: "nix-tools", rev: fake.gitRev(), narHash: fake.sri(), lastModified: FRESH, inputs: { nixpkgs: ["nixpkgs"] } }),
  }, { nixpkgs: "nixpkgs", "sops-nix": "sops-nix", "nix-tools": "nix-tools" }, [["pinning/input-owner", "nix-tools"]],
  "pinning:\n  allowedInputOwners: [NixOS, nix-community, Mic92, numtide, nix-systems, acme]\n"),
];
