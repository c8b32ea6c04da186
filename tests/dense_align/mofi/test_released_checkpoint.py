"""A tiny random transformers CLIPModel saved with save_pretrained (the layout AutoModel reads for the MOFI
releases) loads into our CLIPViT with get_image_features reproduced; another model type is refused by name."""
import json

import pytest
import torch
import transformers

from dense_align.mofi.released_checkpoint import load_mofi_image_encoder, mofi_image_features


def test_tiny_hf_clip_folder_matches_get_image_features(tmp_path):
    torch.manual_seed(0)
    config = transformers.CLIPConfig(
        text_config=dict(vocab_size=50272, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=16, eos_token_id=3),
        vision_config=dict(hidden_size=48, intermediate_size=192, num_hidden_layers=2, num_attention_heads=4,
                           image_size=32, patch_size=8),
        projection_dim=24)
    reference = transformers.CLIPModel(config).eval()
    reference.save_pretrained(tmp_path)
    encoder, report = load_mofi_image_encoder(str(tmp_path))
    assert not report.missing and encoder.arch['width'] == 48
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        want = reference.get_image_features(pixel_values=images)
    want = getattr(want, 'pooler_output', want)
    torch.testing.assert_close(mofi_image_features(encoder, images), want, atol=1e-5, rtol=1e-4)
    (tmp_path / 'config.json').write_text(json.dumps(dict(model_type='siglip')))
    with pytest.raises(ValueError, match="model_type 'siglip'"):
        load_mofi_image_encoder(str(tmp_path))
