# shellcheck shell=bash
# Stand-in of UCS' univention-lib shell functions (see ../../README.md).

_log() { printf '%s\n' "$*" >>"$FAKE_UCS/calls.log"; }

ucs_registerLDAPExtension() {
    _log "ucs_registerLDAPExtension $* [cwd=$(basename "$PWD")]" \
        "[app=${UNIVENTION_APP_IDENTIFIER:-}]"
    local arg
    for arg in "$@"; do
        case "$arg" in
            *.py|*.mo|*.xml|*.schema)
                [ -s "$arg" ] || { echo "fake ucs_registerLDAPExtension: no file $arg" >&2; return 1; } ;;
        esac
    done
}

ucs_unregisterLDAPExtension() { _log "ucs_unregisterLDAPExtension $*"; }
stop_udm_cli_server() { _log "stop_udm_cli_server"; }
# the localized name of a default group (UCR groups/default/...); here: German for one
custom_groupname() { if [ "$1" = "Domain Users" ]; then echo "Domänen-Benutzer"; else echo "$1"; fi; }

is_ucr_true() {
    case "$(ucr get "$1")" in
        yes|true|1|enable|enabled|on) return 0 ;;
        *) return 1 ;;
    esac
}

ucs_addServiceToLocalhost() {
    _log "ucs_addServiceToLocalhost $1"
    echo "$(ucr get hostname) $1" >>"$FAKE_UCS/services"
}

ucs_removeServiceFromLocalhost() {
    _log "ucs_removeServiceFromLocalhost $1"
    local line
    line="$(ucr get hostname) $1"
    grep -vxF "$line" "$FAKE_UCS/services" >"$FAKE_UCS/services.new" 2>/dev/null || true
    mv "$FAKE_UCS/services.new" "$FAKE_UCS/services"
}

ucs_isServiceUnused() {
    ! grep -q " $1\$" "$FAKE_UCS/services" 2>/dev/null
}
