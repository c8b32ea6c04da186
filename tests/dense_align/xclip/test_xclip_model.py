"""X-CLIP model: parity with transformers' XCLIPModel, weights in the original naming, and its invariants."""
import pytest
import torch
import torch.nn.functional as F

from dense_align.xclip import hf_to_original, original_to_ours, ours_to_original
from xclip_tiny import CLASSES, NUM_FRAMES, tiny_hf_xclip, tiny_model


def videos(batch: int = 2, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, NUM_FRAMES, 3, 32, 32, generator=torch.Generator().manual_seed(seed))


def test_logits_match_transformers_xclip_on_the_same_weights():
    hf = tiny_hf_xclip()
    ours = tiny_model().eval()
    result = ours.load_state_dict(original_to_ours(hf_to_original(hf.state_dict())), strict=False)
    assert not result.unexpected_keys and not result.missing_keys
    clips = videos()
    input_ids = ours.tokenizer(CLASSES)
    with torch.no_grad():
        expected = hf(input_ids=input_ids, pixel_values=clips).logits_per_video
        actual = ours(clips, mode='tensor')[:, 0]
    torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-5)


def test_original_naming_round_trips_strictly():
    model = tiny_model()
    original = ours_to_original(model.state_dict())
    assert 'token_embedding.weight' in original and 'mit.positional_embedding' in original
    assert 'visual.transformer.resblocks.0.message_attn.in_proj_weight' in original
    tiny_model(prompt_alpha=0.5).load_state_dict(original_to_ours(original), strict=True)


def test_changing_one_video_leaves_the_others_logits_unchanged():
    model = tiny_model().eval()
    clips = videos()
    with torch.no_grad():
        before = model(clips, mode='tensor')
        clips[1] += 1.0
        after = model(clips, mode='tensor')
    torch.testing.assert_close(after[0], before[0], atol=1e-6, rtol=0)
    assert not torch.allclose(after[1], before[1])


def test_frames_talk_only_through_the_message_tokens():
    model = tiny_model().eval()
    clips = videos(batch=1)
    changed = clips.clone()
    changed[0, 2] += 1.0  # frame 2 only
    with torch.no_grad():
        cls_before = model.visual.forward_video(clips)[0]
        cls_after = model.visual.forward_video(changed)[0]
        assert not torch.allclose(cls_after[0, 0], cls_before[0, 0])  # frame 0 hears about frame 2
        for block in model.visual.transformer.resblocks:
            torch.nn.init.zeros_(block.message_fc.weight)
            torch.nn.init.zeros_(block.message_fc.bias)
            torch.nn.init.zeros_(block.message_attn.out_proj.weight)
            torch.nn.init.zeros_(block.message_attn.out_proj.bias)
        # silent messages: every frame is encoded on its own
        torch.testing.assert_close(model.visual.forward_video(changed)[0][0, 0],
                                   model.visual.forward_video(clips)[0][0, 0])


def test_prompt_scale_zero_gives_plain_cosine_scores():
    model = tiny_model(prompt_alpha=0.0).eval()
    clips = videos()
    with torch.no_grad():
        logits = model(clips, mode='tensor')[:, 0]
        frame_embeds, _ = model.visual.forward_video(clips)
        video = F.normalize(model.mit(frame_embeds), dim=-1)
        text = F.normalize(model.class_text_embeddings(), dim=-1)
    torch.testing.assert_close(logits, model.logit_scale.exp() * video @ text.t())


def test_integration_is_residual_plus_mean():
    model = tiny_model()
    frames = torch.randn(2, NUM_FRAMES, 32)
    with torch.no_grad():
        for block in model.mit.resblocks:  # blocks that add nothing: out = mean(x)
            for linear in (block.attn.out_proj, block.mlp.c_proj):
                torch.nn.init.zeros_(linear.weight)
                torch.nn.init.zeros_(linear.bias)
        out = model.mit(frames)
    torch.testing.assert_close(out, (2 * frames + model.mit.positional_embedding).mean(dim=1))


def test_text_embeddings_are_cached_until_the_class_list_changes():
    model = tiny_model().eval()
    with torch.no_grad():
        model(videos(), mode='tensor')
        model(videos(), mode='tensor')
        assert model._text_cache.computations == 1
        model.set_class_names(['ball bouncing', 'square moving up'])
        assert model(videos(), mode='tensor').shape == (2, 1, 2)
    assert model._text_cache.computations == 2


def test_frozen_text_and_scale_by_default():
    model = tiny_model()
    assert not any(p.requires_grad for p in model.text_encoder.parameters())
    assert not model.logit_scale.requires_grad
    assert all(p.requires_grad for p in tiny_model(freeze_text=False).text_encoder.parameters())


def test_checkpoint_for_other_frame_counts_is_refused_by_name():
    state = tiny_model(num_frames=8).state_dict()
    with pytest.raises(ValueError, match='mit.positional_embedding.*8 frames.*samples 3'):
        tiny_model().load_state_dict(state)


def test_class_names_longer_than_the_context_are_refused():
    with pytest.raises(ValueError, match='needs .* tokens'):
        tiny_model(class_names=['a very long class name ' * 3])


def test_predict_averages_the_softmax_over_views():
    from mmengine.structures import BaseDataElement
    model = tiny_model().eval()
    views = torch.stack([videos(batch=3, seed=s) for s in range(2)])  # (2 videos, 3 views, T, 3, H, W)
    samples = [BaseDataElement() for _ in range(2)]
    with torch.no_grad():
        predicted = model(views, samples, mode='predict')
        per_view = torch.stack([model(views[:, v], mode='tensor')[:, 0] for v in range(3)], dim=1)  # (2, 3, K)
    expected = per_view.softmax(dim=-1).mean(dim=1)
    for sample, score in zip(predicted, expected):
        torch.testing.assert_close(sample.pred_score, score)
        assert int(sample.pred_label) == int(score.argmax())
    assert not torch.allclose(expected, per_view.mean(dim=1).softmax(dim=-1))  # scores, not logits, are averaged
