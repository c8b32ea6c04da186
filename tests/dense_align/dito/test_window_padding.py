"""CLIPViT windows on a grid the window size does not divide: padded as ViTDet, the padding masked out."""
import torch

from dense_align.clip.vit import CLIPViT


def test_window_larger_than_grid_equals_global_attention():
    torch.manual_seed(0)
    arch = dict(patch_size=8, width=32, layers=2, heads=2, output_dim=16, image_size=40)  # 5 x 5 grid
    plain = CLIPViT(arch, out_indices=(1, ), with_embeddings=True).eval()
    windowed = CLIPViT(arch, out_indices=(1, ), with_embeddings=True, window_size=8).eval()  # 5 % 8 != 0
    windowed.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 40, 40)
    with torch.no_grad():
        for a, b in zip(plain(x), windowed(x)):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_window_not_dividing_grid_runs_shifted_pass_and_keeps_the_grid():
    arch = dict(patch_size=8, width=32, layers=2, heads=2, output_dim=16, image_size=56)  # 7 x 7 grid
    model = CLIPViT(arch, out_indices=(1, ), window_size=3, shifted_pass=True).eval()  # 7 % 3 != 0
    with torch.no_grad():
        out = model(torch.randn(1, 3, 56, 56))[0]
    assert out.shape == (1, 32, 7, 7)
    assert torch.isfinite(out).all()
