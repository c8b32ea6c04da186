"""CLIPViT's options for the released DITO ViT (no class token, no ln_pre, LayerNorm epsilon, tanh GELU, patch bias,
ln_post on the maps): the defaults keep the OpenAI CLIP forward bit for bit, and each option does what it says."""
import torch
import torch.nn.functional as F

from dense_align.clip.vit import CLIPViT


def clip_forward(vit: CLIPViT, x: torch.Tensor) -> torch.Tensor:
    """OpenAI CLIP's ViT forward written out (class token, positions, ln_pre, blocks): the last block's patch map."""
    patches = vit.conv1(x).flatten(2).transpose(1, 2)
    cls = vit.class_embedding.expand(len(x), 1, -1)
    tokens = vit.ln_pre(torch.cat([cls, patches], dim=1) + vit.positional_embedding)
    for block in vit.transformer.resblocks:
        tokens = block(tokens)
    grid = x.shape[-1] // vit.patch_size
    return tokens[:, 1:].transpose(1, 2).reshape(len(x), -1, grid, grid)


def test_default_clipvit_is_the_clip_forward_bit_for_bit():
    torch.manual_seed(0)
    vit = CLIPViT('tiny', out_indices=(3, )).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ours, = vit(x)
        ref = clip_forward(vit, x)
    assert torch.equal(ours, ref)
    assert vit.conv1.bias is None and vit.class_embedding.shape == (64, )
    assert vit.positional_embedding.shape == (65, 64) and vit.ln_pre.eps == 1e-5
    assert all(m.eps == 1e-5 for m in vit.modules() if isinstance(m, torch.nn.LayerNorm))
    assert vit.transformer.resblocks[0].mlp.gelu.__class__.__name__ == 'QuickGELUActivation'


def test_released_options_change_keys_norms_and_activation():
    vit = CLIPViT('tiny', class_token=False, pre_norm=False, ln_eps=1e-6, act='gelu_tanh', patch_bias=True).eval()
    keys = set(vit.state_dict())
    assert 'class_embedding' not in keys and not any(k.startswith('ln_pre') for k in keys)
    assert 'conv1.bias' in keys and vit.positional_embedding.shape == (64, 64)
    norms = [m for m in vit.modules() if isinstance(m, torch.nn.LayerNorm)]
    assert len(norms) == 2 * 4 + 1 and all(m.eps == 1e-6 for m in norms)
    gelu = vit.transformer.resblocks[2].mlp.gelu
    h = torch.linspace(-4, 4, 101)
    assert torch.equal(gelu(h), F.gelu(h, approximate='tanh')) and not torch.equal(gelu(h), F.gelu(h))


def test_no_class_token_windows_and_norm_maps():
    torch.manual_seed(1)
    vit = CLIPViT('tiny', out_indices=(3, ), class_token=False, pre_norm=False, window_size=4,
                  global_attn_indexes=(3, ), norm_maps=True, with_embeddings=True).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        top, global_embed, dense = vit(x)
        tokens = vit.conv1(x).flatten(2).transpose(1, 2) + vit.positional_embedding
        for i, block in enumerate(vit.transformer.resblocks):
            if i < 3:  # 8 x 8 grid in 2 x 2 windows of 4 x 4 patches, no class token in them
                win = tokens.reshape(1, 2, 4, 2, 4, 64).permute(0, 1, 3, 2, 4, 5).reshape(4, 16, 64)
                tokens = block(win).reshape(1, 2, 2, 4, 4, 64).permute(0, 1, 3, 2, 4, 5).reshape(1, 64, 64)
            else:
                tokens = block(tokens)
        normed = vit.ln_post(tokens)
    torch.testing.assert_close(top, normed.transpose(1, 2).reshape(1, 64, 8, 8), rtol=0, atol=1e-5)
    torch.testing.assert_close(dense, (normed @ vit.proj).transpose(1, 2).reshape(1, -1, 8, 8), rtol=0, atol=1e-5)
    torch.testing.assert_close(global_embed, (normed @ vit.proj).mean(1), rtol=0, atol=1e-5)
