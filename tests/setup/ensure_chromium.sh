#!/usr/bin/env bash
# Headless Chromium for the report-pack tests (tests/reporting/): render the notes to PDF and
# PNG as a reader would. Installs Debian's `chromium` (and fonts with Cyrillic glyphs) where
# it is missing; exits non-zero with a clear message when it cannot — the tests then fail,
# they are never skipped. Called by `make test` and by the tests' session fixture.
set -euo pipefail

find_chromium() {
    command -v chromium || command -v chromium-browser || true
}

if [ -n "$(find_chromium)" ] && fc-list 2>/dev/null | grep -qi 'liberation\|dejavu'; then
    find_chromium
    exit 0
fi

packages="chromium fonts-liberation fonts-dejavu-core"
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "ОШИБКА: нет Chromium, а установить его нельзя (нужны права root или sudo без пароля):" \
         "apt-get install -y $packages" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "ОШИБКА: нет Chromium и нет apt-get: установите пакеты $packages вручную" >&2
    exit 1
fi
echo "Устанавливается Chromium для тестов отчётов: $packages" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq $packages; } >&2; then
    echo "ОШИБКА: apt-get не установил $packages (см. вывод выше)" >&2
    exit 1
fi
if [ -z "$(find_chromium)" ]; then
    echo "ОШИБКА: после установки chromium не найден в PATH" >&2
    exit 1
fi
find_chromium
