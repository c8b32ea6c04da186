_base_ = ['./denseclip-mask-rcnn_rn50_fpn_8xb2-1x_coco.py']
# DenseCLIP Faster R-CNN, CLIP RN50, COCO 1x: the Mask R-CNN recipe without the mask branch (not in the paper's table).
model = dict(type='DenseCLIPFasterRCNN', roi_head=dict(mask_roi_extractor=None, mask_head=None))
val_evaluator = dict(metric='bbox')
test_evaluator = val_evaluator
