# A NAT rule is imported by its id.
terraform import cloudcontrol_nat_rule.web 2169a38e-5692-497e-a22a-701a838a6539
