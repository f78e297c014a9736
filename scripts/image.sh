#!/usr/bin/env bash
# Builds the lading container image (Dockerfile at the repository's root)
# with the first container builder that works here: docker, podman or
# buildah (CONTAINER_BUILDERS overrides the list and order). Without one
# it says so and exits 2: there is nothing to retry on this machine.
#
#   scripts/image.sh [TAG]        default tag: lading:$VERSION
set -euo pipefail
cd "$(dirname "$0")/.."

version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
tag=${1:-lading:${version}}
builders=${CONTAINER_BUILDERS:-docker podman buildah}

why=()
for b in $builders; do
	if ! command -v "$b" >/dev/null 2>&1; then
		why+=("$b: not installed")
		continue
	fi
	case $b in
	buildah) probe=(buildah version) ;;
	*) probe=("$b" info) ;;
	esac
	if ! "${probe[@]}" >/dev/null 2>&1; then
		# e.g. the docker CLI without a running daemon
		why+=("$b: installed but not working ('${probe[*]}' failed)")
		continue
	fi
	echo "building $tag with $b" >&2
	case $b in
	buildah) exec buildah bud --build-arg "VERSION=$version" -t "$tag" . ;;
	*) exec "$b" build --build-arg "VERSION=$version" -t "$tag" . ;;
	esac
done

{
	echo "image: no container builder found (tried: ${builders// /, })"
	for w in "${why[@]}"; do echo "  $w"; done
	echo "install docker, podman or buildah, or build the Dockerfile elsewhere (CI)"
} >&2
exit 2
