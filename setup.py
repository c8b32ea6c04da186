"""Install the contrastive-alignment plugins: ``dense_align``, ``text_align`` and ``align_core``."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_requirements(name: str) -> list:
    """Return the requirement lines of ``requirements/<name>.txt``, comments and blanks dropped.

    Args:
        name: file stem inside ``requirements/``.

    Returns:
        The requirement specifiers.
    """
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [ln.split('#')[0].strip() for ln in lines if ln.split('#')[0].strip()]


setup(
    name='contrastive-align',
    version='0.1.0',
    description='Contrastive pre-training for OpenMMLab detection and segmentation, and its text sibling',
    long_description=(HERE / 'README.md').read_text() if (HERE / 'README.md').exists() else '',
    long_description_content_type='text/markdown',
    python_requires='>=3.10',
    package_dir={'': 'plugins'},
    packages=find_packages('plugins'),
    include_package_data=True,
    package_data={'': ['*.gz', '*.txt', '*.json']},
    # The OpenMMLab stack is not an install requirement (as in mmdet/mmseg): `pip install -e .` into an environment
    # that already has mmcv/mmdet/mmseg must never try to rebuild mmcv. tools/setup_env.sh installs it; `[mm]` asks
    # pip for the pinned versions explicitly.
    install_requires=read_requirements('runtime'),
    extras_require={
        'mm': read_requirements('mminstall'),
        'tests': read_requirements('tests'),
        'optional': read_requirements('optional'),
        'text': read_requirements('text'),
    },
    zip_safe=False,
)
