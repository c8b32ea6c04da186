# X-CLIP ViT-L/14, 8 frames, Kinetics-400. Paper top-1 / top-5: 87.1 / 97.6. Not trained here.
_base_ = './xclip_vit-b16-8f_8xb8-acc4-30e_k400-224px.py'
clip_checkpoint = 'checkpoints/ViT-L-14.pt'
model = dict(visual=dict(arch='ViT-L/14', with_cp=True, init_cfg=dict(checkpoint=clip_checkpoint)),
             text_encoder=dict(arch='ViT-L/14', init_cfg=dict(checkpoint=clip_checkpoint)))
