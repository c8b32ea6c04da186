# The plain-CLIP baseline of the DreamLIP demo: the same tiny CLIP, data, pipeline, optimiser and steps, trained with
# the short captions only (CLIPPretrainer: symmetric InfoNCE; the sampled sub-captions are ignored).
_base_ = './dreamlip_vit-tiny_1xb64-300it_demo-shapes-64x64.py'
model = dict(
    _delete_=True,
    type='CLIPPretrainer',
    image_encoder={{_base_.model.image_encoder}},
    text_encoder={{_base_.model.text_encoder}},
    init_temperature=0.07,
    class_names={{_base_.classes}},
    templates=('a photo of a {}.', ),
    data_preprocessor={{_base_.model.data_preprocessor}})
