# The hostplane CLI, built from this repository (the parent of nixos/) with
# buildNpmPackage. importNpmLock fetches every dependency by the integrity hash
# in package-lock.json, so there is no npmDepsHash to keep in step.
{
  lib,
  stdenv,
  buildNpmPackage,
  importNpmLock,
  nodejs_22,
  makeWrapper,
  autoPatchelfHook,
}:
let
  packageJson = lib.importJSON ../package.json;

  # Only what the build reads: tests (including the unit tests beside the
  # sources, which import test/), docs, benchmarks and examples (whose fixtures
  # look like credentials) stay out of the store path.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../package.json
      ../package-lock.json
      ../tsconfig.json
      ../tsconfig.build.json
      ../bin
      (lib.fileset.fileFilter (file: !lib.hasSuffix ".test.ts" file.name) ../src)
    ];
  };

  # Node 22 LTS: package.json asks for >= 20.19, and Node 20 reached its end of life in April 2026.
  nodejs = nodejs_22;
in
buildNpmPackage {
  pname = "hostplane";
  inherit (packageJson) version;
  inherit src nodejs;

  npmDeps = importNpmLock { npmRoot = src; };
  npmConfigHook = importNpmLock.npmConfigHook;
  # No dependency's install script runs: koffi's only checks for its prebuilt
  # binary (or compiles one), and its @koromix/koffi-linux-* package ships it.
  npmRebuildFlags = [ "--ignore-scripts" ];

  # `npm run build` (tsc) is buildNpmPackage's default build step.

  nativeBuildInputs = [
    makeWrapper
    autoPatchelfHook
  ];
  # koffi's prebuilt koffi.node links libstdc++ and libgcc_s.
  buildInputs = [ stdenv.cc.cc.lib ];

  # Not npm's install (it would honour .gitignore and drop dist/): the launcher,
  # the compiled CLI, package.json (read for --version) and production dependencies.
  installPhase = ''
    runHook preInstall

    npm prune --omit=dev --no-save $npmFlags "''${npmFlagsArray[@]}"

    dest=$out/lib/hostplane
    mkdir -p $dest/dist $out/bin
    cp -r bin node_modules $dest/
    # koffi's prebuilt package also carries a musl build, which nothing here can load (or autoPatchelf resolve).
    rm -rf $dest/node_modules/@koromix/koffi-linux-*/musl_*
    # Scope directories npm prune emptied.
    find $dest/node_modules -mindepth 1 -maxdepth 1 -type d -empty -delete
    cp -r dist/src $dest/dist/
    # The original package.json: the hook's patched copy names every dependency's store path.
    cp .package.json.orig $dest/package.json

    makeWrapper ${lib.getExe nodejs} $out/bin/hostplane --add-flags $dest/bin/hostplane.js

    runHook postInstall
  '';

  meta = {
    description = packageJson.description;
    license = lib.licenses.mit;
    mainProgram = "hostplane";
    platforms = lib.platforms.linux;
  };
}
