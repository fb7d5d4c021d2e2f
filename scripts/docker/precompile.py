"""Byte-compile what a worker imports at start-up, and the service's own code, at build time.

    python3 precompile.py WSGI_APP GUNICORN_CONFIG SERVICE_DIR

The root filesystem is read-only at run time, so a module without a .pyc is compiled in memory
at every start. Compiling everything costs some 35 MB of .pyc for modules no worker loads (other
SQL dialects, AWS paths, exporters left off); importing the service once here writes a .pyc for
exactly what start-up loads. Whatever is imported later compiles in memory, once per process.
When the import fails (a service that needs its environment to import), everything is compiled.
Standard library only, besides what it imports.
"""

from __future__ import annotations

import compileall
import importlib
import shutil
import sys
import sysconfig
from pathlib import Path


def created_since(root: Path, before: set[Path]) -> list[Path]:
    """Return what appeared under ROOT since BEFORE, .pyc caches aside (outermost first)."""
    new = [p for p in root.rglob("*") if p not in before and "__pycache__" not in p.parts]
    return [p for p in new if not any(parent in new for parent in p.parents)]


def main(argv: list[str]) -> int:
    """Import gunicorn, its workers, the config and the WSGI module; compile SERVICE_DIR."""
    wsgi, config, service = argv
    sys.dont_write_bytecode = False
    # Importing may create files (an instance folder for a default SQLite database): none stays.
    before = set(Path(service).rglob("*"))
    modules = ["gunicorn.app.wsgiapp", "gunicorn.workers.sync", "gunicorn.workers.gthread"]
    try:
        for name in [*modules, config, wsgi.partition(":")[0]]:
            importlib.import_module(name)
    except (Exception, SystemExit) as exc:  # any failure: compile everything instead
        print(f"precompile: importing {name} failed ({exc!r}); compiling every module")
        compileall.compile_dir(sysconfig.get_paths()["purelib"], quiet=1, workers=0)
    for path in created_since(Path(service), before):
        print(f"precompile: removing {path}, created by the import")
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    ok = compileall.compile_dir(service, quiet=1, workers=0)
    print(f"precompile: {len(sys.modules)} modules imported and compiled")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
