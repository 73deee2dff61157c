# A pool is imported by its id.
terraform import cloudcontrol_vip_pool.web 0d9e7b52-8c1a-4e3f-b6d4-71a5c2f98e10
