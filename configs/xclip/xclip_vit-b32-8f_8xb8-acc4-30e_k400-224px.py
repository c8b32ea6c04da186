# X-CLIP ViT-B/32, 8 frames, Kinetics-400. Paper top-1 / top-5: 80.4 / 95.0. Not trained here.
_base_ = './xclip_vit-b16-8f_8xb8-acc4-30e_k400-224px.py'
clip_checkpoint = 'checkpoints/ViT-B-32.pt'
model = dict(visual=dict(arch='ViT-B/32', init_cfg=dict(checkpoint=clip_checkpoint)),
             text_encoder=dict(arch='ViT-B/32', init_cfg=dict(checkpoint=clip_checkpoint)))
