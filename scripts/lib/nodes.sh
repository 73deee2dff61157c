# Shared by scripts/test-nodes and tests/node-backing: the node image (debootstrap + an offline
# package repository), the python:3 application image and its registry, the stand-in package
# repository, and the nodes' cgroup subtrees. Sourced, never run.
#
# Callers set before sourcing (or before calling the functions that use them):
#   STATE          their state directory (registry pid/log, the stand-in repository)
#   STANDIN_DEBS   where the stand-in *.deb files are
#   REGISTRY_NS, REGISTRY_ADDR, REGISTRY_RUN   the registry's namespace, HOST:PORT and tmpfs
#   CGROUP_GROUP   the directory under our own cgroup that holds the nodes' cgroups
#   die, now, since   message and timing helpers (each caller names itself in its messages)
# Limits of this machine's kernel (no device-mapper, no modules): LVM works for physical volumes,
# volume groups and metadata-only logical volumes on an extra disk, but no logical volume can be
# activated.

CACHE=$(realpath -m "${CLOUDCONTROL_MESOS_CACHE:-$HOME/.cache/cloudcontrol-mesos}")
# Packages debootstrap puts in the image, and packages (with all they pull in) in its offline repo.
INCLUDE=systemd-sysv,dbus,openssh-server,iproute2,iputils-ping,procps,netcat-openbsd,less,apt-utils
PRESEED="sudo openssh-server chrony lvm2 xfsprogs docker.io zookeeper zookeeperd"
REPO=/var/local/test-nodes-repo   # the offline repository's path inside the image
# dpkg's force-unsafe-io (as Docker's Debian images set it) is deliberately NOT in the image: 12
# parallel offline `apt-get install docker.io` on fresh nodes (74 new + 3 upgraded packages each)
# took 215.8 and 236.1 s without it, 225.5 and 246.7 s with it (alternated runs, 2 cores, a busy
# machine); they are CPU-bound (vmstat: 0 % iowait, 18-37 runnable), not waiting for fsync.
# The stand-in packages' repository, as every node sees it (read-only).
STANDIN_REPO=/var/local/test-nodes-standins
# The sample app's image, python:3, made from Debian packages and served by a real registry that
# the nodes' Docker uses as its registry mirror.
APP_PACKAGES="python3 dash"
APP_IMAGE_REF=library/python:3
# CAP_NET_ADMIN and a writable /proc/sys/net (SYSTEMD_NSPAWN_API_VFS_WRITABLE=network at boot) let
# dockerd set up its bridge inside the node's own network namespace; the node still has no route
# out of the test network.
NSPAWN_CAPS=${TEST_NODES_CAPS:-CAP_NET_ADMIN}
# runc gives every container its own session keyring; nspawn's seccomp filter refuses the keyring
# calls with EPERM (keyrings are not namespaced), which fails every `docker run` ("unable to join
# session keyring"). Only these three calls are let through, the rest of the filter stays.
NSPAWN_SYSCALLS="add_key keyctl request_key"

# The image is keyed by everything that shapes it: package lists and the build function itself.
image_key() { { echo "$INCLUDE|$PRESEED|$REPO"; declare -f build_image; } | sha256sum | cut -c1-12; }

image_dir() { echo "$CACHE/test-nodes-image-$(image_key)"; }

# Installs Debian packages on the host without starting their services (where services start on
# install, a package such as docker-registry or haproxy would start one on the host): a policy
# forbids that for this install, unless a policy is in place already.
host_install() {   # PACKAGE...
  local policy=""
  [ -n "${APT_UPDATED:-}" ] || apt-get update -q >/dev/null || die "apt-get update failed"
  APT_UPDATED=1
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null \
    || { [ -z "$policy" ] || rm -f "$policy"; die "cannot install $*"; }
  [ -z "$policy" ] || rm -f "$policy"
}

host_deps() {
  local need=()
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v systemd-nspawn >/dev/null || need+=(systemd-container)
  command -v dpkg-scanpackages >/dev/null || need+=(dpkg-dev)
  command -v ssh >/dev/null || need+=(openssh-client)
  command -v losetup >/dev/null || need+=(mount)
  command -v docker-registry >/dev/null || need+=(docker-registry)
  command -v skopeo >/dev/null || need+=(skopeo)
  command -v curl >/dev/null || need+=(curl)   # the tests fetch from the nodes' containers with it
  if [ ${#need[@]} -gt 0 ]; then
    local t; t=$(now)
    # docker-registry's package would start a registry on the host's port 5000
    host_install "${need[@]}"
    echo "host packages installed (${need[*]}) in $(since "$t") s"
  fi
  command -v systemd-nspawn >/dev/null || die "systemd-nspawn is unavailable (package systemd-container)"
}

build_image() {   # DIR
  local img=$1 tmp=$1.tmp t t1 mirror p
  t=$(now)
  rm -rf "$tmp"
  # the host's configured source for bookworm main; debootstrap's default when there is none
  mirror=$(apt-get indextargets --format '$(REPO_URI)' 'Codename: bookworm' 'Identifier: Packages' \
           'Component: main' | awk 'NR==1') || true
  debootstrap --variant=minbase --include="$INCLUDE" bookworm "$tmp" $mirror > "$CACHE/test-nodes-build.log" 2>&1 \
    || die "debootstrap failed, see $CACHE/test-nodes-build.log"
  echo "image: debootstrap $(since "$t") s"
  # Offline repository: the host's apt resolves, against the image's dpkg status, what a node's
  # plain `apt-get install` of each package would need (Recommends included) and downloads exactly
  # that from the host's sources. Nodes then run the real apt, dpkg and maintainer scripts offline.
  t1=$(now)
  mkdir -p "$tmp$REPO"
  for p in $PRESEED; do
    apt-get -s -o Dir::State::status="$tmp/var/lib/dpkg/status" -o APT::Install-Recommends=true \
      install "$p" > "$CACHE/test-nodes-resolve.log" 2>&1 || die "host apt cannot resolve $p (run apt-get update)"
    sed -n 's/^Inst \([^ ]*\) .*(\([^ ]*\) .*/\1=\2/p' "$CACHE/test-nodes-resolve.log"
    # also the package itself when the image already has it (openssh-server), so the repo holds it
    echo "$p=$(apt-cache policy "$p" | awk '/Candidate:/ { print $2 }')"
  done | sort -u > "$CACHE/test-nodes-repo.list"
  (cd "$tmp$REPO" && xargs apt-get download -q -o APT::Sandbox::User=root < "$CACHE/test-nodes-repo.list") \
    >> "$CACHE/test-nodes-build.log" 2>&1 || die "downloading the repository's packages failed"
  (cd "$tmp$REPO" && dpkg-scanpackages . > Packages) 2>> "$CACHE/test-nodes-build.log"
  mv "$tmp/etc/apt/sources.list" "$tmp/etc/apt/debootstrap-mirror.list.disabled"
  echo "deb [trusted=yes] file:$REPO ./" > "$tmp/etc/apt/sources.list"
  # the stand-in packages' repository, bind-mounted over this empty one by `up`
  mkdir -p "$tmp$STANDIN_REPO"
  : > "$tmp$STANDIN_REPO/Packages"
  echo "deb [trusted=yes] file:$STANDIN_REPO ./" >> "$tmp/etc/apt/sources.list"
  chroot "$tmp" apt-get update -q >> "$CACHE/test-nodes-build.log" 2>&1
  chroot "$tmp" apt-get clean
  echo "image: offline repository $(wc -l < "$CACHE/test-nodes-repo.list") packages, $(du -sh "$tmp$REPO" | cut -f1), $(since "$t1") s"
  # Like a fresh CloudControl server: root logs in with the administrator password. Set in the main
  # file, so a provisioner's drop-in in sshd_config.d (read first) takes precedence.
  sed -i -e 's/^#\?PermitRootLogin .*/PermitRootLogin yes/' \
         -e 's/^#\?PasswordAuthentication .*/PasswordAuthentication yes/' "$tmp/etc/ssh/sshd_config"
  # Every node makes its own host keys at its first boot.
  rm -f "$tmp"/etc/ssh/ssh_host_*
  cat > "$tmp/etc/systemd/system/test-nodes-host-keys.service" <<'EOF'
[Unit]
Description=Generate this node's SSH host keys at first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
EOF
  mkdir -p "$tmp/etc/systemd/system/ssh.service.wants"
  ln -sf ../test-nodes-host-keys.service "$tmp/etc/systemd/system/ssh.service.wants/"
  : > "$tmp/etc/machine-id"                               # every boot makes its own
  printf '# no DNS inside the test network\n' > "$tmp/etc/resolv.conf"
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$tmp/etc/hosts"
  for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
           dpkg-db-backup.timer console-getty.service; do
    ln -sf /dev/null "$tmp/etc/systemd/system/$u"
  done
  # chrony: a container must not steer the host's clock (nspawn drops CAP_SYS_TIME anyway)
  mkdir -p "$tmp/etc/systemd/system/chrony.service.d"
  printf '[Unit]\nConditionCapability=\n[Service]\nExecStart=\nExecStart=!/usr/sbin/chronyd $DAEMON_OPTS -x\n' \
    > "$tmp/etc/systemd/system/chrony.service.d/10-test-nodes-no-clock.conf"
  # nspawn mounts the cgroup v1 controllers read-only; they show only this node's own subtree
  # (cgroup namespace, see node_up), so making these mounts writable early in boot lets Docker's
  # runc create its containers' cgroups there, confined to the node. Per mount (remount,bind):
  # remounting the shared superblock fails for busy hierarchies such as memory.
  cat > "$tmp/usr/local/sbin/test-nodes-cgroups" <<'EOF'
#!/bin/sh
# test nodes only (scripts/test-nodes): make the read-only cgroup v1 mounts writable
set -e
awk '$3 == "cgroup" { print $2 }' /proc/self/mounts | while read -r m; do
  mount -o remount,bind,rw "$m"
done
EOF
  chmod 755 "$tmp/usr/local/sbin/test-nodes-cgroups"
  cat > "$tmp/etc/systemd/system/test-nodes-cgroups.service" <<'EOF'
[Unit]
Description=Make this test node's cgroup controllers writable for container runtimes
DefaultDependencies=no
Before=sysinit.target containerd.service docker.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/test-nodes-cgroups

[Install]
WantedBy=sysinit.target
EOF
  mkdir -p "$tmp/etc/systemd/system/sysinit.target.wants"
  ln -sf ../test-nodes-cgroups.service "$tmp/etc/systemd/system/sysinit.target.wants/"
  printf 'The image of scripts/test-nodes; see that script.\n' > "$tmp/etc/test-nodes-image"
  mv "$tmp" "$img"
  echo "image: ready in $(since "$t") s, $(du -sh "$img" | cut -f1) at $img"
}

image() {
  local img; img=$(image_dir)
  mkdir -p "$CACHE"
  if [ -f "$img/etc/test-nodes-image" ]; then echo "image: cached at $img"; return; fi
  # the offline repository is resolved from the host's package lists: make them current
  apt-get update -q > /dev/null || die "apt-get update failed"
  APT_UPDATED=1
  build_image "$img"
  # drop images built from older package lists or an older script
  local old
  for old in "$CACHE"/test-nodes-image-*; do
    [ "$old" = "$img" ] || [ ! -d "$old" ] || rm -rf "$old"
  done
}

# python:3 for the nodes' Docker: the Debian packages of $APP_PACKAGES and what they depend on
# (no Recommends), unpacked into a merged-/usr tree, then written as a one-layer OCI image layout
# for skopeo. Unpacked rather than installed, like distroless images: no maintainer scripts, no
# dpkg database, no apt; docs, manuals and locales are dropped. The app (`python3 -m http.server`)
# is tried in the tree before the image is accepted.
app_image_key() { { echo "$APP_PACKAGES|$APP_IMAGE_REF"; declare -f build_app_image; } | sha256sum | cut -c1-12; }

app_image_dir() { echo "$CACHE/test-nodes-python-image-$(app_image_key)"; }

build_app_image() {   # DIR
  local out=$1 tmp=$1.tmp root=$1.tmp/root blobs=$1.tmp/oci/blobs/sha256 t f l
  local diff_id layer layer_size config config_size manifest manifest_size
  t=$(now)
  rm -rf "$tmp"
  mkdir -p "$tmp/debs" "$root" "$blobs"
  apt-get -s -o Dir::State::status=/dev/null -o APT::Install-Recommends=false install $APP_PACKAGES \
    > "$CACHE/test-nodes-app-resolve.log" 2>&1 || die "host apt cannot resolve $APP_PACKAGES (run apt-get update)"
  sed -n 's/^Inst \([^ ]*\) .*(\([^ ]*\) .*/\1=\2/p' "$CACHE/test-nodes-app-resolve.log" > "$tmp/packages"
  (cd "$tmp/debs" && xargs apt-get download -q -o APT::Sandbox::User=root < "$tmp/packages") \
    >> "$CACHE/test-nodes-build.log" 2>&1 || die "downloading the python image's packages failed"
  for l in bin lib lib64 sbin; do mkdir -p "$root/usr/$l"; ln -s "usr/$l" "$root/$l"; done
  for f in "$tmp"/debs/*.deb; do
    dpkg-deb --fsys-tarfile "$f" | tar -x --keep-directory-symlink -C "$root" || die "unpacking $f failed"
  done
  rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/locale" \
         "$root/usr/share/lintian" "$root/usr/share/bug"
  mkdir -p "$root/root" "$root/tmp"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  ldconfig -r "$root"   # the loader's cache, as libc6's trigger would make it
  chroot "$root" /bin/sh -c 'cd /tmp && python3 -B -c "import http.server, socketserver"' \
    || die "python3's http.server does not work in the python image"
  # the OCI image layout: one gzip layer, its config and manifest, an index naming it ":3"
  tar --sort=name --numeric-owner -C "$root" -cf "$tmp/layer.tar" .
  diff_id=$(sha256sum < "$tmp/layer.tar" | cut -c1-64)
  gzip -n < "$tmp/layer.tar" > "$tmp/layer.tar.gz"
  layer=$(sha256sum < "$tmp/layer.tar.gz" | cut -c1-64)
  layer_size=$(stat -c %s "$tmp/layer.tar.gz")
  mv "$tmp/layer.tar.gz" "$blobs/$layer"
  printf '{"created":"%s","architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8"],"Cmd":["python3"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"scripts/test-nodes: Debian bookworm packages %s, unpacked"}]}' \
    "$(date -u +%FT%TZ)" "$diff_id" "$(date -u +%FT%TZ)" "$APP_PACKAGES" > "$tmp/config.json"
  config=$(sha256sum < "$tmp/config.json" | cut -c1-64)
  config_size=$(stat -c %s "$tmp/config.json")
  mv "$tmp/config.json" "$blobs/$config"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$config" "$config_size" "$layer" "$layer_size" > "$tmp/manifest.json"
  manifest=$(sha256sum < "$tmp/manifest.json" | cut -c1-64)
  manifest_size=$(stat -c %s "$tmp/manifest.json")
  mv "$tmp/manifest.json" "$blobs/$manifest"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest" "$manifest_size" "${APP_IMAGE_REF##*:}" > "$tmp/oci/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' > "$tmp/oci/oci-layout"
  mv "$tmp/oci" "$out"
  echo "python image: $(wc -l < "$tmp/packages") packages, $(du -sh "$tmp/layer.tar" | cut -f1) unpacked, $((layer_size / 1048576)) MiB compressed, in $(since "$t") s"
  rm -rf "$tmp"
}

app_image() {
  local img; img=$(app_image_dir)
  if [ -f "$img/index.json" ]; then echo "python image: cached at $img"; return; fi
  [ -n "${APT_UPDATED:-}" ] || apt-get update -q > /dev/null || die "apt-get update failed"
  build_app_image "$img"
  local old
  for old in "$CACHE"/test-nodes-python-image-*; do
    [ "$old" = "$img" ] || [ ! -d "$old" ] || rm -rf "$old"
  done
}

# The registry: Debian's docker-registry (the distribution registry) inside $REGISTRY_NS at
# $REGISTRY_ADDR, unprivileged, its storage on a tmpfs at $REGISTRY_RUN that registry_down unmounts;
# its pid and log in $STATE. Nothing but the test namespaces can reach it.
registry_up() {
  mkdir -p "$REGISTRY_RUN"
  mountpoint -q "$REGISTRY_RUN" || mount -t tmpfs -o mode=755,size=2g "${REGISTRY_RUN##*/}" "$REGISTRY_RUN"
  install -d -o docker-registry -g docker-registry -m 700 "$REGISTRY_RUN/data"
  cat > "$REGISTRY_RUN/config.yml" <<CONF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REGISTRY_RUN/data
http:
  addr: $REGISTRY_ADDR
CONF
  ip netns exec "$REGISTRY_NS" setpriv --reuid=docker-registry --regid=docker-registry --init-groups \
    --no-new-privs --inh-caps=-all --bounding-set=-all docker-registry serve "$REGISTRY_RUN/config.yml" \
    > "$STATE/registry.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$STATE/registry.pid"
}

registry_push() {   # the python image as $APP_IMAGE_REF, once the registry answers
  local i t
  t=$(now)
  for i in $(seq 1 100); do
    ip netns exec "$REGISTRY_NS" bash -c "exec 3<>/dev/tcp/${REGISTRY_ADDR%:*}/${REGISTRY_ADDR#*:}" 2>/dev/null && break
    kill -0 "$(cat "$STATE/registry.pid")" 2>/dev/null || die "the registry exited: $(tail -3 "$STATE/registry.log")"
    sleep 0.1
  done
  ip netns exec "$REGISTRY_NS" skopeo copy --quiet --dest-tls-verify=false --format v2s2 \
    "oci:$(app_image_dir):${APP_IMAGE_REF##*:}" "docker://$REGISTRY_ADDR/$APP_IMAGE_REF" \
    > "$STATE/registry-push.log" 2>&1 || die "pushing $APP_IMAGE_REF failed: $(tail -3 "$STATE/registry-push.log")"
  echo "up: $APP_IMAGE_REF pushed to the registry in $(since "$t") s"
}

registry_down() {
  local f=$STATE/registry.pid p i
  if [ -f "$f" ] && p=$(cat "$f") && kill -TERM "$p" 2>/dev/null; then
    for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  fi
  if mountpoint -q "$REGISTRY_RUN"; then umount "$REGISTRY_RUN" || umount -l "$REGISTRY_RUN"; fi
  rmdir "$REGISTRY_RUN" 2>/dev/null || true
}

# The stand-in packages' repository: exactly the *.deb files of $STANDIN_DEBS (none is fine: an
# empty index leaves the nodes' `apt-get update` clean), indexed for apt. Nodes see changes at once.
standins_refresh() {
  local repo=$STATE/standin-repo f debs=()
  mkdir -p "$repo"
  [ ! -d "$STANDIN_DEBS" ] || debs=("$STANDIN_DEBS"/*.deb)
  [ -e "${debs[0]:-}" ] || debs=()
  for f in "$repo"/*.deb; do   # packages no longer built
    if [ -e "$f" ] && [ ! -e "$STANDIN_DEBS/${f##*/}" ]; then rm -f "$f"; fi
  done
  for f in "${debs[@]}"; do   # through a temporary name, so apt never reads half a file
    cp -p "$f" "$repo/.${f##*/}.tmp" && mv "$repo/.${f##*/}.tmp" "$repo/${f##*/}"
  done
  (cd "$repo" && dpkg-scanpackages . > .Packages.tmp 2>/dev/null && mv .Packages.tmp Packages) \
    || die "dpkg-scanpackages failed in $repo"
  echo "standins: ${#debs[@]} package(s) from $STANDIN_DEBS"
}

# The host directories of the node's own cgroup in every hierarchy this shell belongs to: the
# hierarchy's mount point, our own cgroup there (nodes stay inside whatever cgroup started them),
# then $CGROUP_GROUP/<node>. One "<hierarchy> <dir>" line each.
cgroup_dirs() {   # NAME
  local id ctrl path mnt
  while IFS=: read -r id ctrl path; do
    case $ctrl in
      '') mnt=/sys/fs/cgroup/unified
          [ "$(stat -fc %T "$mnt" 2>/dev/null)" = cgroup2fs ] || mnt=/sys/fs/cgroup ;;
      name=*) mnt=/sys/fs/cgroup/${ctrl#name=} ;;
      *) mnt=/sys/fs/cgroup/$ctrl ;;
    esac
    mountpoint -q "$mnt" || continue
    echo "${ctrl:-unified} $mnt${path%/}/$CGROUP_GROUP/$1"
  done < /proc/self/cgroup
}

cgroup_mkdir() {   # DIR: mkdir -p; a new cpuset cgroup has no CPUs or memory nodes (and takes no
                   # process) until given its parent's
  local dir=$1
  [ -d "$dir" ] && return
  cgroup_mkdir "${dir%/*}"
  mkdir "$dir"
  if [ -f "$dir/cpuset.cpus" ]; then
    cat "${dir%/*}/cpuset.cpus" > "$dir/cpuset.cpus"
    cat "${dir%/*}/cpuset.mems" > "$dir/cpuset.mems"
  fi
}
