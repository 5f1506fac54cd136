import pytest


@pytest.fixture(autouse=True)
def _private_upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = tmp_path / "import-uploads"
