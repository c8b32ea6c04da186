"""CLIPTextTransformer runs only up to the last EOT token (causal attention: later positions cannot reach an EOT
state): the same embeddings as open_clip's full 77-position text tower, with fewer positions computed."""
import open_clip
import torch

from dense_align.clip import ClipBPETokenizer, CLIPTextTransformer


def test_text_embeddings_equal_open_clip_and_run_to_the_last_eot_only():
    torch.manual_seed(0)
    ref = open_clip.CLIP(embed_dim=32, vision_cfg=dict(layers=1, width=64, patch_size=16, image_size=32),
                         text_cfg=dict(context_length=77, vocab_size=49408, width=64, heads=2, layers=2),
                         quick_gelu=True).eval()
    ours = CLIPTextTransformer(dict(width=64, layers=2, heads=2, output_dim=32)).eval()
    text_keys = {k: v for k, v in ref.state_dict().items() if not k.startswith('visual.') and k != 'logit_scale'}
    missing, unexpected = ours.load_state_dict({k.replace('attn_mask', ''): v for k, v in text_keys.items()
                                                if k != 'attn_mask'}, strict=False)
    assert not missing, missing
    tokens = ClipBPETokenizer()(['a photo of a dog', 'a much longer prompt about a video of a person riding a bike',
                                 ''])
    seen = []
    hook = ours.transformer.resblocks[0].register_forward_pre_hook(lambda m, args: seen.append(args[0].shape[1]))
    with torch.no_grad():
        got = ours(tokens)
        expected = ref.encode_text(tokens)
    hook.remove()
    assert seen == [int(tokens.argmax(-1).max()) + 1] and seen[0] < 20
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    embeddings = ours.token_embedding(tokens)
    eot = tokens.argmax(-1)
    with torch.no_grad():  # the prompt-learner entry point truncates the same way
        torch.testing.assert_close(ours.encode_embeddings(embeddings, eot), expected, atol=1e-5, rtol=0)
