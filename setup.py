"""Build hook: ship the top-level notebooks/ templates inside the wheel, as toolkit/notebooks/.

The templates live at the repository's top level (where analysts open them in JupyterLab); the
package finds them there in a checkout, and with importlib.resources in an installed wheel
(``toolkit.reports._new.templates_folder``). Everything else is configured in pyproject.toml.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithTemplates(build_py):
    """build_py that also copies notebooks/NN_*.ipynb into the built package."""

    def run(self):
        super().run()
        target = Path(self.build_lib) / "toolkit" / "notebooks"
        target.mkdir(parents=True, exist_ok=True)
        for notebook in sorted((HERE / "notebooks").glob("[0-9][0-9]_*.ipynb")):
            self.copy_file(str(notebook), str(target / notebook.name))


setup(cmdclass={"build_py": BuildPyWithTemplates})
