#!/usr/bin/env bash
# Install the OX Connector app on a real UCS test VM and run the reference suite against
# it, inside the app's container (univention-app shell ox-connector). Runs ON the VM, as
# root, from a checkout of this repository (ci/gitlab-ci.yml copies it there). It cannot
# run on the project's CI machines: they have no UCS.
#
#   ci/ucs_vm_test.sh --env-file FILE [--wsdl-dir DIR] [--keep-app] [PYTEST ARGS...]
#
# FILE (mode 0600, KEY=VALUE lines) holds at least:
#   OX_SOAP_SERVER        https://ox.example.test (an OX App Suite the VM reaches)
#   OX_MASTER_PASSWORD    the OX master admin's password
#   UCS_ADMIN_PASSWORD    the password of the UCS Administrator
# and optionally OX_MASTER_ADMIN, DEFAULT_CONTEXT (10), OX_IMAP_SERVER, OX_SMTP_SERVER,
# HYPOTHESIS_PROFILE. The VM needs Docker (every UCS has it), the test App Center
# (univention-app dev-use-test-appcenter) so that ox-connector can be installed, and PyPI
# for the image build. It must be the Primary (the join script runs without credentials
# there, and ldap/refint is set there), with an OX that accepts new contexts from the
# master admin (the UCS-side check creates one).
#
# Steps: build ox-connector:<version> with docker from this checkout; point the app at it
# (univention-app dev-set); install it with the settings; run this checkout's join script
# (appcenter/inst, twice: it must be idempotent) in place of the App Center's copy, with
# the UCS files of the built image, and check what it registered; create a context, a
# user, a group, a resource and a functional account through UDM and wait until the
# connector has applied them without errors and OX matches (ox-connector check); run the
# reference suite the image carries (/usr/local/share/ox-connector/tests, its own venv
# /opt/ox-connector-tests) with OX_TEST_BACKEND=ucs in the container, its OX client
# compiled from the reference WSDLs; remove the objects and the app again (unless
# --keep-app). The JUnit report is left in /root/ox-connector-reference-junit.xml.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"

APP=ox-connector
DATA=/var/lib/univention-appcenter/apps/$APP/data
SUITE=/usr/local/share/ox-connector/tests   # the reference suite in the image
RUN_DIR=$DATA/reference-suite               # the WSDLs and the report, in the mounted data dir
env_file=""
wsdl_dir="${OX_REFERENCE_WSDL_DIR:-$REPO/../shared/ox-wsdl}"
keep_app=false
pytest_args=()

die() { echo "ucs_vm_test: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
    case "$1" in
        --env-file) env_file="${2:-}"; shift 2 ;;
        --wsdl-dir) wsdl_dir="${2:-}"; shift 2 ;;
        --keep-app) keep_app=true; shift ;;
        *) pytest_args+=("$1"); shift ;;
    esac
done
[ -f "$env_file" ] || die "--env-file FILE is required (see the header of $0)"
set -a
# shellcheck source=/dev/null
. "$env_file"
set +a
for name in OX_SOAP_SERVER OX_MASTER_PASSWORD UCS_ADMIN_PASSWORD; do
    [ -n "${!name:-}" ] || die "$name is not set in $env_file"
done
[ -f "$wsdl_dir/OXUserService.wsdl" ] || die "reference OX WSDLs not found in $wsdl_dir (--wsdl-dir)"
command -v univention-app >/dev/null || die "not a UCS system (no univention-app)"

version="$(sed -n 's/^Version[[:space:]]*=[[:space:]]*//p' appcenter/ini | head -n 1)"
image="ox-connector:$version"
fqdn="$(ucr get hostname).$(ucr get domainname)"
pwdfile="$(mktemp)"
trap 'rm -f "$pwdfile" "$DATA/reference-suite.env"' EXIT
printf '%s' "$UCS_ADMIN_PASSWORD" > "$pwdfile"

echo "== build $image"
./build_docker_image --engine docker --tag "$image"

echo "== install $APP $version from the local image"
if univention-app info | grep -q "^Installed:.*\b$APP="; then
    univention-app remove "$APP" --noninteractive --username Administrator --pwdfile "$pwdfile"
fi
# The suite in the container waits for the host's listener to catch up: it reads the
# listener's queue and the notifier/listener transaction ids, mounted read-only.
univention-app dev-set "$APP" \
    "DockerImage=$image" \
    "DockerVolumes=/var/lib/univention-appcenter/listener/$APP:/var/lib/univention-appcenter/listener/$APP:ro, /var/lib/univention-ldap:/host/univention-ldap:ro, /var/lib/univention-directory-listener:/host/univention-directory-listener:ro"
univention-app install "$APP" --noninteractive --do-not-pull \
    --username Administrator --pwdfile "$pwdfile" \
    --set "OX_SOAP_SERVER=$OX_SOAP_SERVER" \
          "OX_MASTER_ADMIN=${OX_MASTER_ADMIN:-oxadminmaster}" \
          "OX_MASTER_PASSWORD=$OX_MASTER_PASSWORD" \
          "DEFAULT_CONTEXT=${DEFAULT_CONTEXT:-10}" \
          "OX_IMAP_SERVER=${OX_IMAP_SERVER:-imap://$fqdn:143}" \
          "OX_SMTP_SERVER=${OX_SMTP_SERVER:-smtp://$fqdn:587}"
univention-app shell "$APP" ox-connector --version

echo "== join script: this checkout's appcenter/inst (twice), with the image's UCS files"
# The App Center ran the join script of the App Center's app version at the install; the
# one under test is this checkout's: put it in place of the installed copy and run it.
installed_inst="$(find /usr/lib/univention-install -maxdepth 1 -name "*$APP.inst" | head -n 1)"
installed_inst="${installed_inst:-/usr/lib/univention-install/50$APP.inst}"
install -m 0755 appcenter/inst "$installed_inst"
for run in 1 2; do
    univention-run-join-scripts --force --run-scripts "$(basename "$installed_inst")" \
        || die "join script run $run failed (/var/log/univention/join.log)"
done
join_version="$(sed -n 's/^VERSION=//p' appcenter/inst)"
grep -q "^$APP v$join_version successful" /var/univention-join/status \
    || die "the join status does not record $APP v$join_version"
base="$(ucr get ldap/base)"
domain="$(ucr get domainname)"
for module in oxmail/oxcontext oxmail/accessprofile oxmail/functional_account oxresources/oxresources; do
    udm settings/udm_module list --filter "name=$module" | grep -q "package: univention-ox" \
        || die "UDM module $module is not registered"
done
[ "$(udm oxmail/accessprofile list | grep -c '^DN: ')" -ge 7 ] || die "default access profiles missing"
udm settings/extended_attribute list --position "cn=open-xchange,cn=custom attributes,cn=univention,$base" \
    | grep -q '^DN: cn=isOxUser,' || die "extended attributes missing"
udm users/user list --filter uid=Administrator --properties isOxUser >/dev/null \
    || die "users/user does not know the OX properties"
[ "$(ucr get ldap/refint)" = true ] || die "ldap/refint is not set"

echo "== UDM objects of every OX kind reach OX"
udm_value() { sed -n "s/^  $1: //p" | head -n 1; }
tag="vm$(date +%s)"
cid=$(( 20000 + RANDOM % 10000 ))
user_dn="uid=${tag}user,cn=users,$base"
cleanup_objects() {
    udm oxmail/functional_account remove --dn "cn=${tag}fa,cn=functional_accounts,cn=open-xchange,$base" || true
    udm oxresources/oxresources remove --dn "cn=${tag}room,cn=oxresources,cn=open-xchange,$base" || true
    udm groups/group remove --dn "cn=${tag}group,cn=groups,$base" || true
    udm users/user remove --dn "$user_dn" || true
    udm oxmail/oxcontext remove --dn "cn=${tag}ctx,cn=open-xchange,$base" || true
}
udm mail/domain create --ignore_exists --position "cn=domain,cn=mail,$base" --set name="$domain"
udm oxmail/oxcontext create --position "cn=open-xchange,$base" \
    --set name="${tag}ctx" --set contextid="$cid"
udm users/user create --position "cn=users,$base" --set username="${tag}user" \
    --set firstname=VM --set lastname=Test --set password="$(openssl rand -hex 16)Aa1" \
    --set mailPrimaryAddress="${tag}user@$domain" --set isOxUser=OK --set oxContext="$cid" \
    --set oxAccess=premium
udm groups/group create --position "cn=groups,$base" --set name="${tag}group" \
    --set isOxGroup=OK --append users="$user_dn"
uid_number="$(udm users/user list --filter "username=${tag}user" | udm_value uidNumber)"
udm oxresources/oxresources create --position "cn=oxresources,cn=open-xchange,$base" \
    --set name="${tag}room" --set displayname="VM test room" --set resourceadmin="$uid_number" \
    --set resourceMailAddress="${tag}room@$domain" --set oxContext="$cid"
udm oxmail/functional_account create --position "cn=functional_accounts,cn=open-xchange,$base" \
    --set name="${tag}fa" --set mailPrimaryAddress="${tag}fa@$domain" --set personal="VM test" \
    --append users="$user_dn"
udm users/user list --filter "username=${tag}user" | grep -q "oxResourceMailAddress: ${tag}room@" \
    || die "the resource's address is not on its manager"
deadline=$(( $(date +%s) + 300 ))
until [ -z "$(find "/var/lib/univention-appcenter/listener/$APP" "$DATA/listener" -maxdepth 1 -name '*.json' 2>/dev/null)" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || die "the queue did not drain in 300 s (univention-app shell $APP ox-connector queue list)"
    sleep 5
done
univention-app shell "$APP" ox-connector health || die "ox-connector health is not OK"
[ -z "$(univention-app shell "$APP" ox-connector errors list --json | tr -d '[:space:][]')" ] \
    || die "dead letters after the UDM objects (ox-connector errors list)"
univention-app shell "$APP" ox-connector check --context "$cid" || die "OX differs (ox-connector check)"

echo "== reference suite (OX_TEST_BACKEND=ucs) in the container"
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR/ox-wsdl"
cp "$wsdl_dir"/*.wsdl "$RUN_DIR/ox-wsdl/"
( umask 077
  cat > "$DATA/reference-suite.env" <<EOF
OX_TEST_BACKEND=ucs
UCS_HOST=$fqdn
UCS_ADMIN_USER=Administrator
UCS_ADMIN_PASSWORD=$UCS_ADMIN_PASSWORD
UCS_CA_FILE=/etc/ssl/certs/ca-certificates.crt
UCS_LDAP_BASE=$(ucr get ldap/base)
UCS_MAIL_DOMAIN=$(ucr get domainname)
OX_TEST_NOTIFIER_ID_FILE=/host/univention-ldap/last_id
OX_TEST_LISTENER_ID_FILE=/host/univention-directory-listener/notifier_id
OX_REFERENCE_WSDL_DIR=$RUN_DIR/ox-wsdl
HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-ci}
EOF
)
extra=""
[ ${#pytest_args[@]} -eq 0 ] || extra="$(printf ' %q' "${pytest_args[@]}")"
set +e
univention-app shell "$APP" bash -c "set -a; . $DATA/reference-suite.env; set +a
    cd $SUITE && exec pytest -q --junitxml=$RUN_DIR/junit.xml tests/reference$extra"
status=$?
set -e
cp "$RUN_DIR/junit.xml" /root/ox-connector-reference-junit.xml 2>/dev/null || true

cleanup_objects
if ! $keep_app; then
    echo "== remove $APP"
    univention-app remove "$APP" --noninteractive --username Administrator --pwdfile "$pwdfile" || true
    univention-app dev-set "$APP" "DockerVolumes=" || true
fi
exit "$status"
