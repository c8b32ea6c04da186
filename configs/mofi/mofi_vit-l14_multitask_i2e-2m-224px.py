# MOFI-L14: ViT-L/14 image tower (303M parameters, as the released MOFI-L14) and a 12-layer width-768 text tower
# (CLIP ViT-L/14's, ~123M with the CLIP vocabulary; released: 124M with an OPT-based tokenizer). Released GPR1200
# mAP: 86.14. Everything else: ./_base_/mofi_i2e-2m_224px.py (and what it says the paper does not state).
_base_ = './_base_/mofi_i2e-2m_224px.py'
model = dict(
    image_encoder=dict(arch='ViT-L/14'),
    text_encoder=dict(arch='ViT-L/14'))
train_dataloader = dict(batch_size=128)  # per GPU; not stated
