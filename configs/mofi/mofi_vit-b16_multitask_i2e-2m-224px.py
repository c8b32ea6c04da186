# MOFI-B16: ViT-B/16 image tower (86M parameters, as the released MOFI-B16) and a 12-layer width-512 text tower
# (CLIP ViT-B/16's, ~63M with the CLIP vocabulary; released: 64M with an OPT-based tokenizer). Released GPR1200 mAP:
# 83.41. Everything else: ./_base_/mofi_i2e-2m_224px.py (and what it says the paper does not state).
_base_ = './_base_/mofi_i2e-2m_224px.py'
model = dict(
    image_encoder=dict(arch='ViT-B/16'),
    text_encoder=dict(arch='ViT-B/16'))
