# A pool member is imported by its id.
terraform import cloudcontrol_vip_pool_member.web_http 9a4b6c1d-2e3f-4a5b-8c7d-e6f5a4b3c2d1
