# shellcheck shell=bash
# A private sshd on 127.0.0.1 for tests (TESTBED.md §4), with its own host key,
# a client key allowed to log in as root, and an ssh wrapper on PATH that uses
# a private ssh_config (so ~/.ssh is never read or written).
#
#   sshd_start DIR     starts it; sets SSHD_PORT, SSHD_KEY (the client key)
#                      and puts DIR/bin first on PATH
#   sshd_stop DIR
sshd_start() {
	local s=$1
	SSHD_PORT=$((22000 + $$ % 1000))
	SSHD_KEY=$s/id
	mkdir -p "$s/bin" /run/sshd &&
	ssh-keygen -q -t ed25519 -N "" -f "$s/host" &&
	ssh-keygen -q -t ed25519 -N "" -f "$s/id" &&
	cp "$s/id.pub" "$s/authorized_keys" &&
	cat >"$s/sshd_config" <<-EOF &&
	Port $SSHD_PORT
	ListenAddress 127.0.0.1
	HostKey $s/host
	PidFile $s/sshd.pid
	AuthorizedKeysFile $s/authorized_keys
	PermitRootLogin prohibit-password
	PasswordAuthentication no
	StrictModes no
	UsePAM no
	EOF
	/usr/sbin/sshd -f "$s/sshd_config" -E "$s/sshd.log" &&
	cat >"$s/ssh_config" <<-EOF &&
	Host *
	  IdentityFile $s/id
	  IdentitiesOnly yes
	  StrictHostKeyChecking no
	  UserKnownHostsFile $s/known_hosts
	  LogLevel ERROR
	EOF
	printf "#!/bin/sh\nexec /usr/bin/ssh -F %s \"\$@\"\n" "$s/ssh_config" >"$s/bin/ssh" &&
	chmod +x "$s/bin/ssh" &&
	export PATH="$s/bin:$PATH" SSHD_PORT SSHD_KEY &&
	nd_wait_for 5 ssh -p "$SSHD_PORT" root@127.0.0.1 true
}

sshd_stop() {
	[ -f "$1/sshd.pid" ] && kill "$(cat "$1/sshd.pid")" 2>/dev/null
	return 0
}
